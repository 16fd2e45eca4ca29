package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

@JsonIgnoreProperties(ignoreUnknown = true)
public record DetokenizeRequest(String model, List<Integer> tokens) {}
