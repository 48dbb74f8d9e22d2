package dev.weir.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One Weir broker for a whole test class: started before the class's own {@code @BeforeAll}
 * methods, stopped after its {@code @AfterAll} ones, together with the clients the class
 * handed to {@link #closeAtEnd}. Register it as
 * {@code @RegisterExtension static final WeirBrokerExtension weir = new WeirBrokerExtension();}.
 */
public final class WeirBrokerExtension implements BeforeAllCallback, AfterAllCallback {
    private final Map<String, String> overrides;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private WeirBroker broker;

    /** A broker with default settings. */
    public WeirBrokerExtension() {
        this(Map.of());
    }

    /** A broker with these {@code --override key=value} settings. */
    public WeirBrokerExtension(Map<String, String> overrides) {
        this.overrides = Map.copyOf(overrides);
    }

    public WeirBroker broker() {
        if (broker == null) {
            throw new IllegalStateException("the broker starts before the class's @BeforeAll");
        }
        return broker;
    }

    /** Closes {@code resource} (a client of this broker) before the broker stops. */
    public <T extends AutoCloseable> T closeAtEnd(T resource) {
        resources.add(resource);
        return resource;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        broker = WeirBroker.start(overrides);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            for (int i = resources.size() - 1; i >= 0; i--) {
                resources.get(i).close();
            }
        } finally {
            resources.clear();
            if (broker != null) {
                broker.close();
                broker = null;
            }
        }
    }
}
