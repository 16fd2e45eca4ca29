package dev.longctx.inferenceservice.kvshare;

import java.util.UUID;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * How this instance names itself to the KV index and the gateway: the advertised URL (configured, or the local
 * port once the server listens), the instance id (configured, or that URL) and an epoch that is new on every
 * start, so that the index can tell a restarted instance (empty cache) from a live one.
 */
@Component
public class InstanceIdentity {
    private final KvShareProperties properties;
    private final String epoch = UUID.randomUUID().toString();
    private volatile String url;

    InstanceIdentity(KvShareProperties properties) {
        this.properties = properties;
        this.url = properties.advertisedUrl() == null ? null : properties.advertisedUrl().toString();
    }

    @EventListener
    void serverStarted(WebServerInitializedEvent event) {
        if (url == null && !"management".equals(event.getApplicationContext().getServerNamespace())) {
            url = "http://127.0.0.1:" + event.getWebServer().getPort();
        }
    }

    /** Null until the server listens (unless configured). */
    public String url() { return url; }

    public String instanceId() {
        return properties.instanceId() != null && !properties.instanceId().isBlank() ? properties.instanceId() : url;
    }

    public String epoch() { return epoch; }
}
