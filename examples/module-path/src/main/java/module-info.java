module granular.example {
    requires granular.core;
    exports example;
}
