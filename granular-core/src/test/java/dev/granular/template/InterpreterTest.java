package dev.granular.template;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The interpreter's Jinja2 features, each against what Python's Jinja2 (as configured by transformers) prints. */
class InterpreterTest {

    static String render(String template) {
        return render(template, Map.of());
    }

    static String render(String template, Map<String, Object> vars) {
        return JinjaTemplate.parse(template).render(vars);
    }

    static Map<String, Object> vars() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("msgs", List.of(Map.of("role", "system", "content", "S"), Map.of("role", "user", "content", "U"),
                Map.of("role", "assistant", "content", "A")));
        v.put("d", new LinkedHashMap<>(Map.of("x", 1)));
        v.put("m", Map.of("role", "user"));
        return v;
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // whitespace control, trim_blocks, lstrip_blocks, trailing newline
                arguments("a  {%- if true -%}  b  {%- endif -%}  c", "abc"),
                arguments("a {{- 'b' -}} \n c", "abc"),
                arguments("{% if true %}\n    x\n{% endif %}\n", "    x\n"),
                arguments("  {% if true %}y{% endif %}", "y"),
                arguments("a {% if true %}y{% endif %}", "a y"),
                arguments("  {%+ if true %}y{% endif %}", "  y"),
                arguments("{% if true +%}\ny{% endif %}", "\ny"),
                arguments("  {{ 'v' }}", "  v"),
                arguments("a{# comment #}\nb", "ab"),
                arguments("a\r\nb\n", "a\nb"),
                arguments("x\n\n", "x\n"),
                arguments("{% generation %}gen{% endgeneration %}", "gen"),
                // slicing and indexing by code point
                arguments("{{ [1, 2, 3][::-1] }}", "[3, 2, 1]"),
                arguments("{{ 'héllo😀'[::-1] }}", "😀olléh"),
                arguments("{{ 'abcdef'[1:4] }}|{{ 'abcdef'[-2:] }}|{{ 'abcdef'[:-4] }}", "bcd|ef|ab"),
                arguments("{{ [1, 2, 3, 4, 5][::2] }} {{ [1, 2, 3, 4, 5][3:0:-1] }}", "[1, 3, 5] [4, 3, 2]"),
                arguments("{{ 'ab😀c'|length }} {{ 'ab😀c'[2] }} {{ [1, 2][-1] }} [{{ [1][5] }}]", "4 😀 2 []"),
                // namespace, scoping, loops
                arguments("{% set ns = namespace(n=0, last=none) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "3"),
                arguments("{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + 10 %}{{ x }},{% endfor %}{{ x }}", "11,11,1"),
                arguments("{% if true %}{% set y = 5 %}{% endif %}{{ y }}", "5"),
                arguments("{% for c in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
                        "103TrueFalse3;212FalseFalse3;321FalseTrue3;"),
                arguments("{% for x in [1, 2, 3] %}{{ loop.previtem is defined }}{{ loop.nextitem|default('-') }} {% endfor %}", "False2 True3 True- "),
                arguments("{% for x in [1, 2, 3] %}{{ loop.cycle('a', 'b') }}{% endfor %}", "aba"),
                arguments("{% for x in [] %}x{% else %}empty{% endfor %}", "empty"),
                arguments("{% for x in range(6) if x is odd %}{{ loop.index }}:{{ x }} {% endfor %}", "1:1 2:3 3:5 "),
                arguments("{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", "013"),
                arguments("{% for k, v in {'x': 1, 'y': 2}|items %}{{ k }}={{ v }};{% endfor %}", "x=1;y=2;"),
                arguments("{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %} {{ d.keys()|list }} {{ d.values()|list }}", "x=1 ['x'] [1]"),
                arguments("{% for m in msgs[1:] %}{{ m.role }}{% endfor %}", "userassistant"),
                // string methods
                arguments("{{ '  hi  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\\n\\nhi'.lstrip('\\n') }}|{{ 'hi!!'.rstrip('!') }}", "hi|hi|hi|hi"),
                arguments("{{ 'a,b,,c,'.split(',') }} {{ '  a  b '.split() }} {{ 'a b c'.split(' ', 1) }}", "['a', 'b', '', 'c', ''] ['a', 'b'] ['a', 'b c']"),
                arguments("{{ 'x</think>y'.split('</think>')[-1] }}{{ 'x</think>y'.split('</think>')[0] }}", "yx"),
                arguments("{{ 'hello'.startswith('he') }}{{ 'hello'.endswith(('x', 'lo')) }}{{ 'hello'.startswith('lo') }}", "TrueTrueFalse"),
                arguments("{{ 'hello wORLD'.title() }}|{{ \"they're\".title() }}|{{ 'ß'.upper() }}|{{ 'ABC'.lower() }}|{{ 'hELLO'.capitalize() }}",
                        "Hello World|They'Re|SS|abc|Hello"),
                arguments("{{ 'aaa'.replace('a', 'b', 2) }} {{ 'a-b'.replace('-', '') }}", "bba ab"),
                arguments("{{ ', '.join(['a', 'b']) }} {{ 'banana'.count('an') }} {{ 'banana'.find('na') }}", "a, b 2 2"),
                // filters
                arguments("{{ {'a': [1, 2.5, none, true], 'b': 'é\"\\n'}|tojson }}", "{\"a\": [1, 2.5, null, true], \"b\": \"é\\\"\\n\"}"),
                arguments("{{ {'a': [1, {}], 'b': []}|tojson(indent=2) }}", "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}"),
                arguments("{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}", "{\"a\": 2, \"b\": 1}"),
                arguments("{{ '  x \\n'|trim }}|{{ 'xyx'|trim('x') }}|{{ [1, 2]|length }}|{{ {'a': 1}|count }}|{{ nothing|length }}", "x|y|2|1|0"),
                arguments("{{ [{'n': 'a', 'k': 1}, {'n': 'b'}, {'n': 'c', 'k': 0}]|selectattr('k', 'defined')|map(attribute='n')|join(',') }}", "a,c"),
                arguments("{{ msgs|rejectattr('role', 'equalto', 'system')|map(attribute='content')|list }}", "['U', 'A']"),
                arguments("{{ msgs|selectattr('role', '==', 'user')|list|length }} {{ [0, 1, 2]|select|list }} {{ [1, 2, 3]|reject('odd')|list }}", "1 [1, 2] [2]"),
                arguments("{{ ['b', 'A', 'c']|sort|join }} {{ [3, 1, 2]|sort(reverse=true)|first }} {{ [3, 1, 2]|last }}", "Abc 3 2"),
                arguments("{{ ['a', 'b']|map('upper')|join('-') }} {{ 'ab'|reverse }} {{ [1, 2]|reverse|list }}", "A-B ba [2, 1]"),
                arguments("{{ nothing|default('dflt') }} {{ ''|default('e', true) }} {{ ''|d('x') }}|", "dflt e |"),
                arguments("{{ '3'|int + 1 }} {{ 'x'|int }} {{ 2.7|int }} {{ '1.5'|float }} {{ -3|abs }} {{ 2.5|round }} {{ 3.14159|round(2) }}", "4 0 2 1.5 3 2.0 3.14"),
                arguments("{{ [1, 2, 3]|sum }} {{ [3, 1, 2]|min }} {{ [3, 1, 2]|max }} {{ [1, 1, 2]|unique|list }}", "6 1 3 [1, 2]"),
                arguments("{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'hello world'|title }}|{{ '<a>'|escape }}", "a\n  b\n\n  c|Hello World|&lt;a&gt;"),
                arguments("{{ 'a b'|upper }}{{ 'A'|lower }}{{ 1|string ~ 'x' }}", "A Ba1x"),
                // tests and operators
                arguments("{{ none is none }}{{ x is defined }}{{ 'a' is string }}{{ {} is mapping }}{{ [] is sequence }}{{ 1 is number }}{{ 1 is string }}{{ nothing is not none }}",
                        "TrueFalseTrueTrueTrueTrueFalseTrue"),
                arguments("{{ m.tool_calls is defined }}{{ m.role is defined }}{{ 6 is divisibleby 3 }}{{ 3 is even }}{{ true is boolean }}{{ 1.5 is float }}{{ 2 is integer }}",
                        "FalseTrueTrueFalseTrueTrueTrue"),
                arguments("{{ false is false }}{{ 0 is false }}{{ 'abc' is lower }}{{ 'x' is in ['x'] }}{{ [] is iterable }}", "TrueFalseTrueTrueTrue"),
                arguments("{{ 'b' in 'abc' }}{{ 2 in [1, 2] }}{{ 'k' in {'k': 1} }}{{ 3 not in [1] }}{{ 1 < 2 < 3 }}{{ 1 < 2 > 3 }}", "TrueTrueTrueTrueTrueFalse"),
                arguments("{{ not true or 1 and 'x' }} {{ 0 or '' or 'z' }} {{ not(1 == 1 and 2 == 3) }}", "x z True"),
                arguments("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 1 + 2 * 3 }} {{ 'a' ~ 1 ~ none }}",
                        "3 -4 1 2 3.5 1024 7 a1None"),
                arguments("{{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1.0 }} {{ 1e-5 }} {{ 0.0001 }} {{ 123456789012345678.0 }} {{ 1 == 1.0 }} {{ true == 1 }}",
                        "0.30000000000000004 1e+20 1.0 1e-05 0.0001 1.2345678901234568e+17 True True"),
                arguments("{{ [1, 2] + [3] }} {{ 'ab' * 2 }} {{ (1, 'a') }} {{ (1,) }} {{ msgs|length - 1 }}", "[1, 2, 3] abab (1, 'a') (1,) 2"),
                arguments("{{ none }} {{ true }} {{ ['a', \"it's\"] }} {{ {'k': none, 1: 2.0} }} [{{ nothing }}]", "None True ['a', \"it's\"] {'k': None, 1: 2.0} []"),
                arguments("{{ 'a\\tb\\u00e9\\x41' }}|{{ \"q\\\"\" }}|{{ 'x' 'y' }}", "a\tbéA|q\"|xy"),
                arguments("{{ 'y' if true else 'n' }}{{ 'y' if false }}{{ 'a' if false else 'b' if false else 'c' }}", "yc"),
                arguments("{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %} {% endfor %}", "one two many "),
                arguments("{% set x %}a{{ 1 + 1 }}b{% endset %}[{{ x }}]", "[a2b]"),
                arguments("{% set a, b = [1, 2] %}{{ b }}{{ a }}", "21"),
                arguments("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bo', punct='?') }}", "Hi Ann! Hi Bo?"),
                arguments("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}", "321"),
                arguments("{{ d.get('x') }} {{ d.get('missing', 'dflt') }} {{ d.get('missing') }} {{ d['x'] }} {{ d.x }}", "1 dflt None 1 1"),
                arguments("{{ dict(a=1)|tojson }} {{ range(2, 8, 3)|list }}", "{\"a\": 1} [2, 5]"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void rendersLikeJinja2(String template, String expected) {
        assertThat(render(template, vars())).isEqualTo(expected);
    }

    @Test
    void strftimeNowFormatsTheCurrentDate() {
        LocalDate before = LocalDate.now();
        String out = render("{{ strftime_now('%Y-%m-%d') }}");
        LocalDate after = LocalDate.now();
        assertThat(out).isIn(before.toString(), after.toString());
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                arguments("{{ raise_exception('Roles must alternate') }}", 1, 4, "raise_exception: Roles must alternate"),
                arguments("{{ x|nosuchfilter }}", 1, 6, "No filter named 'nosuchfilter'"),
                arguments("line1\n  {{ x is prime }}", 2, 11, "No test named 'prime'"),
                arguments("{% include 'other.jinja' %}", 1, 4, "tag '{% include %}' is not supported"),
                arguments("{% do x %}", 1, 4, "tag '{% do %}' is not supported"),
                arguments("{{ a.b.c }}", 1, 5, "'a' is undefined"),
                arguments("{{ m.tool_calls.name }}", 1, 16, "'tool_calls' is undefined"),
                arguments("{% if %}x{% endif %}", 1, 7, "unexpected '%}' in expression"),
                arguments("{% if true %}x", 1, 15, "unexpected end of template"),
                arguments("{{ 'a' + 1 }}", 1, 8, "unsupported operand types for +: 'str' and 'int'"),
                arguments("{{ 1 / 0 }}", 1, 6, "division by zero"),
                arguments("{{ '%s %s' % (1,) }}", 1, 12, "not enough arguments for format string"),
                arguments("{{ '{}{}'.format(1) }}", 1, 10, "Replacement index 1 out of range"),
                arguments("{% set l = [] %}{{ l.append(1) }}", 1, 21, "list.append() is not supported"),
                arguments("{% set d = {} %}{% set d.x = 1 %}", 1, 20, "only namespace() objects can be modified"),
                arguments("{{ 1 < 'a' }}", 1, 4, "'<' not supported between instances of 'int' and 'str'"),
                arguments("{% for x in 5 %}{% endfor %}", 1, 13, "'int' object is not iterable"),
                arguments("{{ range }}", 1, 4, "cannot print a function range"),
                arguments("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", 1, 19, "macro recursion deeper than"),
                arguments("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", 1, 32, "loop iterations and macro calls"),
                arguments("{{ 'unterminated }}", 1, 4, "unterminated string literal"),
                arguments("{% break %}", 1, 4, "'break' outside of a loop"));
    }

    @ParameterizedTest
    @MethodSource("errors")
    void refusesWithThePosition(String template, int line, int column, String reason) {
        assertThatThrownBy(() -> render(template, vars()))
                .isInstanceOfSatisfying(TemplateException.class, e -> {
                    assertThat(e.reason()).contains(reason);
                    assertThat(e.templateLine()).isEqualTo(line);
                    assertThat(e.templateColumn()).isEqualTo(column);
                    assertThat(e.getMessage()).startsWith("chat template " + line + ":" + column + ": ");
                });
    }
}
