package io.tandem.cloud.dashboard;

import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * The dashboard's data: one snapshot, and the same pushed as server-sent events every
 * {@code tandem.dashboard.push-seconds}. Both are reads (the reader role); the page itself is static
 * ({@code /dashboard/}).
 */
@Path("/api/v1/dashboard")
public class DashboardResource {

    @Inject
    Dashboard dashboard;

    @Inject
    io.tandem.cloud.config.TandemConfig config;

    /** What the dashboard shows now. */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public DashboardSnapshot snapshot() {
        return dashboard.snapshot();
    }

    /** A snapshot at once, then one every push interval, for as long as the client listens. */
    @GET
    @Path("/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<DashboardSnapshot> events() {
        return Multi.createFrom().ticks().startingAfter(Duration.ofMillis(1))
                .every(Duration.ofSeconds(config.dashboard().pushSeconds())).onOverflow().drop()
                .map(tick -> dashboard.snapshot());
    }
}
