package dev.longctx.tokenizerservice;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** tokenizer-service: vLLM's /tokenize and /detokenize over one model's tokenizer files. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class TokenizerServiceApplication {

    public static void main(String[] args) {
        SpringApplication.run(TokenizerServiceApplication.class, args);
    }
}
