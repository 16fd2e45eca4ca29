/**
 * The wire records of the cluster's KV block index (kv-cache-service): instances publish their prefix cache's
 * changes as numbered {@link dev.longctx.common.kvindex.KvEvent}s (a batch with no events is a heartbeat) and
 * full {@link dev.longctx.common.kvindex.KvSnapshot}s when asked to resync; the gateway asks
 * {@link dev.longctx.common.kvindex.PrefixLookup} which instance holds how much of a prompt's prefix.
 */
package dev.longctx.common.kvindex;
