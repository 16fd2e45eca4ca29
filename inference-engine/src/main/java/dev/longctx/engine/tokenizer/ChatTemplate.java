package dev.longctx.engine.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The model's own Jinja chat template, rendered with Jinjava configured to behave like transformers'
 * {@code apply_chat_template}: {@code trim_blocks} and {@code lstrip_blocks} on, {@code {{-}}/{@code -}}} trimming
 * honoured, Python operator precedence, a Python-style {@code tojson}, and a {@code raise_exception} function.
 *
 * <p>Variables: {@code messages} (list of maps with at least role and content), {@code add_generation_prompt},
 * {@code bos_token}, {@code eos_token}, and {@code tools} when given. Thread-safe: Jinjava renders each call with its
 * own interpreter.
 */
public final class ChatTemplate {

    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    /** Where newer transformers versions save the template instead of tokenizer_config.json. */
    public static final String TEMPLATE_FILE = "chat_template.jinja";

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    private ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = pythonStringMethodsToJava(template);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.jinjava = newJinjava();
    }

    public static ChatTemplate of(String template, String bosToken, String eosToken) {
        if (template == null || template.isBlank()) throw new ChatTemplateException("empty chat template");
        return new ChatTemplate(template, bosToken, eosToken);
    }

    /**
     * The template of a model directory: {@code chat_template.jinja} when present (transformers prefers it),
     * else {@code chat_template} of {@code tokenizer_config.json} (a string, or a list of named templates of which
     * "default" is used). bos/eos tokens come from tokenizer_config.json.
     */
    public static ChatTemplate load(Path modelDir) {
        Path configFile = modelDir.resolve(TOKENIZER_CONFIG);
        JsonNode config = null;
        if (Files.isRegularFile(configFile)) {
            try {
                config = JsonMapper.builder().build().readTree(configFile.toFile());
            } catch (JacksonException e) {
                throw new ChatTemplateException(configFile + " is not valid JSON: " + firstLine(e.getMessage()), e);
            }
        }
        String template = null;
        Path templateFile = modelDir.resolve(TEMPLATE_FILE);
        if (Files.isRegularFile(templateFile)) {
            try {
                template = Files.readString(templateFile);
            } catch (IOException e) {
                throw new ChatTemplateException("cannot read " + templateFile + ": " + e.getMessage(), e);
            }
        } else if (config != null) {
            template = templateFrom(config.path("chat_template"));
        }
        if (template == null || template.isBlank()) {
            throw new ChatTemplateException("no chat template in " + modelDir + " (looked for " + TEMPLATE_FILE
                    + " and chat_template in " + TOKENIZER_CONFIG + ")");
        }
        String bos = config == null ? null : tokenString(config.path("bos_token"));
        String eos = config == null ? null : tokenString(config.path("eos_token"));
        return new ChatTemplate(template, bos, eos);
    }

    private static String templateFrom(JsonNode node) {
        if (node.isString()) return node.asString();
        if (node.isArray()) { // [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asString())) return named.path("template").asString();
            }
            return node.size() > 0 ? node.get(0).path("template").asString() : null;
        }
        return null;
    }

    /** bos_token/eos_token may be a string, null, or an AddedToken object with "content". */
    private static String tokenString(JsonNode node) {
        if (node.isString()) return node.asString();
        if (node.isObject() && node.path("content").isString()) return node.path("content").asString();
        return null;
    }

    public String template() { return template; }

    public String bosToken() { return bosToken; }

    public String eosToken() { return eosToken; }

    /** Renders a plain conversation. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> maps = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            maps.add(map);
        }
        return renderMessages(maps, null, addGenerationPrompt);
    }

    /**
     * Renders messages given as maps (so they may carry {@code tool_calls}, {@code name}, ...) with optional tool
     * definitions, the way an OpenAI-style request hands them over.
     *
     * @param tools null when the request has none (templates test {@code if tools})
     */
    public String renderMessages(List<? extends Map<String, ?>> messages, List<? extends Map<String, ?>> tools,
                                 boolean addGenerationPrompt) {
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        vars.put("tools", tools);
        RenderResult result;
        try {
            result = jinjava.renderForResult(template, vars);
        } catch (RuntimeException e) {
            throw new ChatTemplateException("chat template failed: " + describe(e), e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException("chat template failed: " + describe(error), error.getException());
            }
        }
        return result.getOutput();
    }

    private static String describe(TemplateError error) {
        String raised = raisedMessage(error.getException());
        if (raised != null) return raised;
        String where = error.getLineno() > 0 ? " (template line " + error.getLineno() + ")" : "";
        return firstLine(error.getMessage()) + where;
    }

    private static String describe(Throwable e) {
        String raised = raisedMessage(e);
        return raised != null ? raised : firstLine(String.valueOf(e.getMessage()));
    }

    /** The message of the template's own raise_exception, however deep Jinjava wrapped it. */
    private static String raisedMessage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RaisedByTemplate r) return r.getMessage();
            if (t.getCause() == t) break;
        }
        return null;
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Thrown by the template's {@code raise_exception(message)} (the template rejects the conversation). */
    static final class RaisedByTemplate extends RuntimeException {
        RaisedByTemplate(String message) {
            super(message);
        }
    }

    /** Target of the {@code raise_exception} template function. */
    public static Object raiseException(String message) {
        throw new RaisedByTemplate(message);
    }

    private static Jinjava newJinjava() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withMaxOutputSize(0)   // unlimited: a 1M-token prompt is several MB of text
                .withMaxStringLength(0)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true) // honour {{- and -}} like Jinja
                        .withParseWhitespaceControlStrictly(true)
                        .withUseNaturalOperatorPrecedence(true)      // `a or b and c` as Python reads it
                        .withEvaluateMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        Jinjava j = new Jinjava(config);
        j.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        j.getGlobalContext().registerFilter(new PythonToJsonFilter());
        return j;
    }

    /** transformers' tojson: json.dumps(x, ensure_ascii=False, indent=indent). */
    static final class PythonToJsonFilter implements AdvancedFilter {
        @Override
        public String getName() { return "tojson"; }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.get("indent");
            if (indent == null && args.length > 0) indent = args[0];
            Integer n = indent == null ? null : Integer.valueOf(indent.toString());
            return PythonJson.dumps(var, n);
        }
    }

    // Jinjava calls Java methods on strings; HF templates call Python's. Map the common ones with the same meaning.
    private static final Pattern PY_STRING_METHOD = Pattern.compile(
            "\\.(startswith|endswith|lstrip\\(\\)|rstrip\\(\\)|upper\\(\\)|lower\\(\\))");
    private static final Pattern TAG = Pattern.compile("\\{\\{.*?}}|\\{%.*?%}", Pattern.DOTALL);

    static String pythonStringMethodsToJava(String template) {
        Matcher tag = TAG.matcher(template);
        StringBuilder out = new StringBuilder();
        while (tag.find()) {
            Matcher m = PY_STRING_METHOD.matcher(tag.group());
            StringBuilder rewritten = new StringBuilder();
            while (m.find()) {
                String java = switch (m.group(1)) {
                    case "startswith" -> ".startsWith";
                    case "endswith" -> ".endsWith";
                    case "lstrip()" -> ".stripLeading()";
                    case "rstrip()" -> ".stripTrailing()";
                    case "upper()" -> ".toUpperCase()";
                    default -> ".toLowerCase()";
                };
                m.appendReplacement(rewritten, Matcher.quoteReplacement(java));
            }
            m.appendTail(rewritten);
            tag.appendReplacement(out, Matcher.quoteReplacement(rewritten.toString()));
        }
        tag.appendTail(out);
        return out.toString();
    }
}
