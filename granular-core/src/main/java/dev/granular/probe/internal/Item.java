package dev.granular.probe.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One unit of a probing context: a sentence, a function or a database record. An item knows
 * how it reads in the context, the fragment a question quotes from it (which must occur in
 * no other item, or the question would have two right answers), the question, and the gold
 * answer the scorer compares against.
 */
public sealed interface Item {

    /** How the item reads inside the context. */
    String text();

    /** The text the question quotes; the probe is ambiguous when another item contains it too. */
    String fragment();

    /** The question, in our own words. */
    String question();

    /** The gold answer as JSON (a string, or an object for database records). */
    Object gold();

    /** A sentence; the question quotes a piece of it and asks for the whole sentence. */
    record Sentence(String sentence, String piece) implements Item {
        @Override
        public String text() {
            return sentence;
        }

        @Override
        public String fragment() {
            return piece;
        }

        @Override
        public String question() {
            return "One sentence in the text above contains the words \"" + piece
                    + "\". Quote that sentence in full.";
        }

        @Override
        public Object gold() {
            return sentence;
        }
    }

    /**
     * A Python function. Its name stands before the snippet, so answering needs a look
     * backwards from where the snippet is found.
     */
    record Function(String name, String body, String piece) implements Item {
        @Override
        public String text() {
            return "def " + name + "():\n" + body;
        }

        @Override
        public String fragment() {
            return piece;
        }

        @Override
        public String question() {
            return "The line \"" + piece + "\" belongs to one of the functions above. What is that function called? "
                    + "Reply with its name only.";
        }

        @Override
        public Object gold() {
            return name;
        }
    }

    /**
     * A knowledge-base record. The id comes first, so answering needs a look forwards from
     * where the id is found.
     */
    record Entity(String id, String label, String description) implements Item {
        @Override
        public String text() {
            return "<id: " + id + ", label: " + label + ", description: " + description + ">";
        }

        /** The id as written, with its delimiters, so that Q12 is not found inside Q123. */
        @Override
        public String fragment() {
            return "<id: " + id + ",";
        }

        @Override
        public String question() {
            return "Look up the record whose id is " + id + ". Give its label and its description.";
        }

        @Override
        public Object gold() {
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("label", label);
            g.put("description", description);
            return g;
        }
    }
}
