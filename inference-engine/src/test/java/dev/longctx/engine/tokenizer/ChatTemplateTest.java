package dev.longctx.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

class ChatTemplateTest {

    static final String CHATML = "{% for message in messages %}"
            + "{% if message['role'] not in ['system', 'user', 'assistant'] %}{{ raise_exception('Unknown role: ' + message['role']) }}{% endif %}"
            + "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static Path resource(String name) {
        try {
            return Path.of(ChatTemplateTest.class.getResource("/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void chatmlRendersSystemUserAndGenerationPrompt() {
        ChatTemplate t = ChatTemplate.of(CHATML, null, "<|im_end|>");
        String out = t.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi 😀")), true);
        assertThat(out).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi 😀<|im_end|>\n<|im_start|>assistant\n");
        assertThat(t.render(List.of(ChatMessage.user("x")), false)).isEqualTo("<|im_start|>user\nx<|im_end|>\n");
    }

    @Test
    void raiseExceptionBecomesAChatTemplateExceptionWithTheTemplatesMessage() {
        ChatTemplate t = ChatTemplate.of(CHATML, null, null);
        assertThatThrownBy(() -> t.render(List.of(new ChatMessage("robot", "beep")), true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("chat template failed: Unknown role: robot");
    }

    @Test
    void brokenTemplateSyntaxIsAChatTemplateException() {
        ChatTemplate t = ChatTemplate.of("{% for m in messages %}{{ m.content }}", null, null);
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("x")), true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageStartingWith("chat template failed: ")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> ChatTemplate.of("  ", null, null)).isInstanceOf(ChatTemplateException.class);
    }

    @Test
    void loopVariablesBosEosAndPythonStringMethods() {
        String template = "{{ bos_token }}{% for m in messages %}"
                + "{% if loop.first %}[first]{% endif %}{{ loop.index }}/{{ loop.length }}:{{ loop.index0 }}"
                + "{% if m.content.startswith('/') %}cmd{% elif m['content'].strip().endswith('?') %}q{% else %}{{ m.content.upper() }}{% endif %}"
                + "{% if not loop.last %},{% endif %}{% endfor %}{{ eos_token }}";
        ChatTemplate t = ChatTemplate.of(template, "<s>", "</s>");
        String out = t.render(List.of(ChatMessage.user("/run"), ChatMessage.assistant("why? "), ChatMessage.user("ok")), false);
        assertThat(out).isEqualTo("<s>[first]1/3:0cmd,2/3:1q,3/3:2OK</s>");
    }

    @Test
    void whitespaceControlAndBlockTrimmingMatchJinja() {
        // trim_blocks drops the newline after a block tag, lstrip_blocks the indentation before one, {{- the whitespace before.
        String template = "{% for m in messages %}\n    {{- m.content }}\n    {% if loop.last %}\nEND\n    {% endif %}\n{% endfor %}";
        ChatTemplate t = ChatTemplate.of(template, null, null);
        assertThat(t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), false)).isEqualTo("a\nb\nEND\n");
    }

    @Test
    void tojsonWritesPythonStyleJson() {
        ChatTemplate t = ChatTemplate.of("{{ messages[0] | tojson }}|{{ tools | tojson(indent=2) }}", null, null);
        List<Map<String, Object>> messages = List.of(new java.util.LinkedHashMap<>(Map.of("role", "user")));
        messages.get(0).put("n", List.of(1, 2.5, 1e-5, true));
        messages.get(0).put("s", "中\"\n");
        String out = t.renderMessages(messages, List.of(Map.of("a", List.of())), false);
        assertThat(out).isEqualTo("{\"role\": \"user\", \"n\": [1, 2.5, 1e-05, true], \"s\": \"中\\\"\\n\"}|[\n  {\n    \"a\": []\n  }\n]");
        assertThat(PythonJson.pythonFloat(0.0001)).isEqualTo("0.0001");
        assertThat(PythonJson.pythonFloat(1e16)).isEqualTo("1e+16");
        assertThat(PythonJson.pythonFloat(12345678.9)).isEqualTo("12345678.9");
    }

    @Test
    void rendersMegabytesOfContent() {
        ChatTemplate t = ChatTemplate.of(CHATML, null, null);
        String big = "word ".repeat(1_200_000); // ~6 MB, a 1M-token prompt's worth
        String out = t.render(List.of(ChatMessage.user(big)), true);
        assertThat(out).hasSize(big.length() + "<|im_start|>user\n<|im_end|>\n<|im_start|>assistant\n".length());
    }

    @Test
    void qwenTemplateFromTokenizerConfigRendersAPlainConversation() {
        ChatTemplate t = ChatTemplate.load(resource("tokenizer/tokenizer_config.json").getParent());
        assertThat(t.eosToken()).isEqualTo("<|im_end|>");
        assertThat(t.bosToken()).isEmpty();
        String out = t.render(List.of(ChatMessage.system("You are terse."), ChatMessage.user("2+2?")), true);
        assertThat(out).isEqualTo("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n");
    }

    record Case(String name, boolean add_generation_prompt, List<Map<String, Object>> messages,
                List<Map<String, Object>> tools, String expected) {}

    static Stream<Arguments> qwenCases() throws IOException {
        List<Case> cases = JsonMapper.builder().build().readValue(
                resource("chat/qwen2.5-cases.json").toFile(), new TypeReference<List<Case>>() {});
        List<Arguments> args = new ArrayList<>();
        for (Case c : cases) args.add(Arguments.of(c.name(), c));
        return args.stream();
    }

    /** Expected strings were rendered by Jinja2 configured like transformers (chat/make_expected.py). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("qwenCases")
    void qwenTemplateMatchesJinja2IncludingTools(String name, Case c) throws IOException {
        String template = Files.readString(resource("chat/qwen2.5-chat_template.jinja"));
        ChatTemplate t = ChatTemplate.of(template, null, "<|im_end|>");
        assertThat(t.renderMessages(c.messages(), c.tools(), c.add_generation_prompt())).isEqualTo(c.expected());
    }

    @Test
    void chatTemplateJinjaFileWinsOverTokenizerConfig(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"config\", \"eos_token\": {\"content\": \"<e>\"}}");
        Files.writeString(dir.resolve("chat_template.jinja"), "file{{ eos_token }}");
        assertThat(ChatTemplate.load(dir).render(List.of(), false)).isEqualTo("file<e>");
        Files.delete(dir.resolve("chat_template.jinja"));
        assertThat(ChatTemplate.load(dir).render(List.of(), false)).isEqualTo("config");
    }

    @Test
    void namedTemplateListUsesDefault(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, {\"name\": \"default\", \"template\": \"D\"}]}");
        assertThat(ChatTemplate.load(dir).render(List.of(), false)).isEqualTo("D");
    }

    @Test
    void missingTemplateNamesTheDirectory(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> ChatTemplate.load(dir)).isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining(dir.toString());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{oops");
        assertThatThrownBy(() -> ChatTemplate.load(dir)).isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("tokenizer_config.json is not valid JSON");
    }
}
