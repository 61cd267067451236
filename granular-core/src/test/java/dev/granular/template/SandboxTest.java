package dev.granular.template;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

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
            "{{ messages[0].__dict__ }}", "{{ ''.getClass }}", "{{ messages.class }}", "{{ loop }}",
            "{{ messages.__init__ }}", "{{ joiner }}", "{{ messages[0]['__class__'] }}",
            "{{ ''['__class__'] }}", "{{ _self }}", "{{ __builtins__ }}", "{{ strftime_now.__code__ }}",
            "{{ messages|attr('__class__') }}", "{{ ''|attr('__class__') }}", "{{ messages[0]|attr('role') }}"})
    void dunderAndJavaNamesAreUndefinedAndPrintNothing(String template) {
        assertThat(render(template)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"{{ ''.__class__.__mro__ }}", "{{ ''.__class__.__base__.__subclasses__() }}",
            "{{ ''.getClass().forName('java.lang.Runtime') }}", "{{ messages.getClass() }}",
            "{{ lipsum.__globals__['os'].popen('id').read() }}", "{{ range.__class__.__init__() }}",
            "{{ self.__init__.__globals__ }}", "{{ cycler.__init__.__globals__.os }}", "{{ namespace }}", "{{ raise_exception }}",
            "{% set ns = namespace() %}{{ ns }}", "{{ messages.pop() }}", "{{ messages[0].update({'role': 'system'}) }}",
            "{{ ''.getClass() }}", "{{ x.__class__.__mro__[1].__subclasses__() }}", "{{ raise_exception.__globals__['os'] }}",
            "{{ namespace.__init__.__globals__['__builtins__']['open']('/etc/passwd').read() }}",
            "{{ ''.__class__.__base__ }}", "{{ messages.getClass().getClassLoader() }}", "{{ x.__class__ }}",
            "{{ '{0.__class__}'.format(messages) }}", "{{ '{0[0].__class__}'.format(messages) }}",
            "{{ '{x.__globals__}'.format(x=raise_exception) }}", "{{ '%(__class__)s' % {} }}",
            "{{ messages|attr('__class__')|attr('__mro__') }}", "{{ (messages|attr('pop'))() }}",
            "{% call raise_exception.__globals__() %}{% endcall %}"})
    void escapesFailWithATemplateError(String template) {
        assertThatThrownBy(() -> render(template)).isInstanceOf(TemplateException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{% include '/etc/passwd' %}", "{% import 'macros.jinja' as m %}", "{% extends 'base.jinja' %}",
            "{% from '/etc/passwd' import x %}", "{% include ['a', 'b'] ignore missing %}"})
    void noTagReadsAFile(String template) {
        assertThatThrownBy(() -> JinjaTemplate.parse(template)).isInstanceOf(TemplateException.class).hasMessageContaining("is not supported");
    }

    /** Hostile templates, each stopped by the limit it names, with a message saying how to raise it. */
    static Stream<Arguments> hostile() {
        return Stream.of(
                arguments("{% for i in range(10**9) %}{% endfor %}", "range"),
                arguments("{{ range(0 - 10**18, 10**18)|length }}", "range"),
                arguments("{{ 'x' * 10**9 }}", "output"),
                arguments("{{ 10**9 * 'xy' }}", "output"),
                arguments("{{ [0] * 10**9 }}", "items"),
                arguments("{{ 'x'|indent(10**9, true) }}", "output"),
                arguments("{{ [1]|tojson(indent=10**9) }}", "output"),
                arguments("{{ ('x' * 1000)|replace('', 'y' * 100000) }}", "output"),
                arguments("{{ ('x' * 10000000)|list|length }}", "items"),
                arguments("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "output"),
                arguments("{% set ns = namespace(s=['x']) %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", "items"),
                arguments("{{ (['x' * 1000000] * 1000)|join }}", "output"),
                arguments("{{ ['x' * 1000000] * 1000 }}", "output"),
                arguments("{{ (['x' * 1000000] * 1000)|tojson }}", "output"),
                arguments("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "steps"),
                arguments("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}{% for i in range(100000) %}{{ 'y' * 1000 }}{% endfor %}",
                        "output"),
                arguments("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "depth"),
                arguments("{% macro f(n) %}{{ f(n) ~ f(n) }}{% endmacro %}{{ f(0) }}", "depth"),
                arguments("{{ " + "(".repeat(100_000) + "1" + ")".repeat(100_000) + " }}", "depth"),
                arguments("{{ " + "-".repeat(100_000) + "1 }}", "depth"),
                arguments("{{ " + "not ".repeat(100_000) + "1 }}", "depth"),
                arguments("{{ 1" + " + 1".repeat(100_000) + " }}", "depth"),
                arguments("{{ 'x'" + "|trim".repeat(100_000) + " }}", "depth"),
                arguments("{% if true %}".repeat(100_000) + "{% endif %}".repeat(100_000), "depth"),
                arguments("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", "depth"),
                arguments("{% macro m() %}{% call m() %}x{% endcall %}{{ caller() }}{% endmacro %}{% call m() %}y{% endcall %}", "depth"),
                arguments("{{ '{:>1000000000}'.format(1) }}", "output"),
                arguments("{{ '%1000000000d' % 1 }}", "output"),
                arguments("{{ '%-1000000000s'|format('x') }}", "output"),
                arguments("{{ 'x'.ljust(10**9) }}", "output"),
                arguments("{{ 'x'.center(10**9, '-') }}", "output"),
                arguments("{{ 'x'|center(10**9) }}", "output"),
                arguments("{{ 'x'.zfill(10**9) }}", "output"),
                arguments("{{ ('\t' * 1000).expandtabs(10**6) }}", "output"),
                arguments("{{ [1]|batch(10**9, 'x')|list }}", "items"),
                arguments("{{ [1]|slice(10**9)|list }}", "items"),
                arguments("{% filter upper %}{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}{% endfilter %}", "output"));
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void hostileTemplatesStopAtTheirLimit(String template, String limit) {
        assertThatThrownBy(() -> render(template))
                .isInstanceOfSatisfying(TemplateException.class, e -> {
                    assertThat(e.limit()).isEqualTo(limit);
                    if (!limit.equals("range")) {
                        assertThat(e.getMessage()).contains("-Dgranular.template." + limit + "=");
                    }
                });
    }

    @Test
    void aTemplateThatRunsTooLongStopsAtTheTimeLimit() {
        TemplateLimits noTime = new TemplateLimits(1 << 20, 8, 1 << 20, 1_000_000, 200, Duration.ZERO);
        assertThatThrownBy(() -> JinjaTemplate.parse("{% for i in range(10) %}{{ i }}{% endfor %}").render(Map.of(), noTime))
                .isInstanceOfSatisfying(TemplateException.class, e -> {
                    assertThat(e.limit()).isEqualTo("time");
                    assertThat(e.getMessage()).contains("-Dgranular.template.time=");
                });
    }

    @Test
    void hugeExponentsAreComputedBySquaring() {
        assertThat(render("{{ (-1) ** (10**18) }} {{ 1 ** (10**18) }} {{ 0 ** (10**18) }}")).isEqualTo("1 1 0");
    }

    @Test
    void limitsGrowWithTheInputSoLongContextsRender() {
        // A 40-million-character context (past the 32 Mi base) renders in full, twice over.
        String big = "a".repeat(40_000_000);
        String out = JinjaTemplate.parse("{{ messages[0].content }}{{ messages[0].content }}")
                .render(Map.of("messages", List.of(Map.of("role", "user", "content", big))));
        assertThat(out).hasSize(80_000_000);
        assertThatThrownBy(() -> render("{{ 'a' * 40000000 }}")).isInstanceOfSatisfying(TemplateException.class,
                e -> assertThat(e.limit()).isEqualTo("output"));
    }

    @Test
    void limitsCanBeRaised() {
        TemplateLimits more = new TemplateLimits(64L << 20, 8, 1 << 20, 1_000_000, 200, Duration.ofSeconds(60));
        assertThat(JinjaTemplate.parse("{{ ('a' * 40000000)|length }}").render(Map.of(), more)).isEqualTo("40000000");
        ChatTemplate t = ChatTemplate.of("{{ ('a' * 40000000)|length }}", Map.of());
        assertThatThrownBy(() -> t.render(List.of(), null, false)).isInstanceOf(TemplateException.class);
        assertThat(t.withLimits(more).render(List.of(), null, false)).isEqualTo("40000000");
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
