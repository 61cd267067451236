package dev.granular.template;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A template cannot reach Java classes, files or the network: Python dunder attributes are
 * undefined (as in Jinja2's sandbox), unknown names are undefined, and calling or reading through
 * them fails; no Java object can enter the template's values.
 */
class SandboxTest {

    static String render(String template) {
        return JinjaTemplate.parse(template).render(Map.of("messages", List.of(Map.of("role", "user", "content", "x"))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{{ ''.__class__ }}", "{{ messages.__class__ }}", "{{ range.__self__ }}",
            "{{ namespace.__init__ }}", "{{ config }}", "{{ request }}", "{{ self }}", "{{ lipsum }}", "{{ cycler }}",
            "{{ messages[0].__dict__ }}", "{{ ''.getClass }}", "{{ messages.class }}", "{{ loop }}"})
    void dunderAndJavaNamesAreUndefinedAndPrintNothing(String template) {
        assertThat(render(template)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"{{ ''.__class__.__mro__ }}", "{{ ''.__class__.__base__.__subclasses__() }}",
            "{{ ''.getClass().forName('java.lang.Runtime') }}", "{{ messages.getClass() }}",
            "{{ lipsum.__globals__['os'].popen('id').read() }}", "{{ range.__class__.__init__() }}",
            "{{ self.__init__.__globals__ }}", "{{ cycler.__init__.__globals__.os }}", "{{ namespace }}", "{{ raise_exception }}",
            "{% set ns = namespace() %}{{ ns }}", "{{ messages.pop() }}", "{{ messages[0].update({'role': 'system'}) }}"})
    void escapesFailWithATemplateError(String template) {
        assertThatThrownBy(() -> render(template)).isInstanceOf(TemplateException.class);
    }

    @Test
    void inputsMustBeJsonValues() {
        assertThatThrownBy(() -> JinjaTemplate.parse("{{ f }}").render(Map.of("f", new File("/etc/passwd"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a JSON value: java.io.File");
        ChatTemplate t = ChatTemplate.of("{{ tools }}", Map.of());
        assertThatThrownBy(() -> t.render(List.of(TemplateMessage.of("user", "x")), List.of(Thread.currentThread()), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a JSON value");
    }

    @Test
    void inputsAreCopiedSoATemplateCannotChangeThem() {
        java.util.Map<String, Object> tool = new java.util.LinkedHashMap<>(Map.of("name", "f"));
        ChatTemplate t = ChatTemplate.of("{% set ns = namespace(t=tools[0]) %}{{ ns.t.name }}", Map.of());
        assertThat(t.render(List.of(TemplateMessage.of("user", "x")), List.of(tool), false)).isEqualTo("f");
        assertThat(tool).isEqualTo(Map.of("name", "f"));
    }
}
