package dev.longctx.common.kvindex;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * kv-cache-service's answer to events, heartbeats and snapshots. {@code resync}: the index lost track of this
 * instance (a sequence gap, a restart, an index that lost its data) and needs a {@link KvSnapshot}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record KvAck(boolean resync) {}
