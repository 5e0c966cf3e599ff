package policyzip.bench;

import policyzip.backend.Backend;
import policyzip.backend.Backends;

/**
 * The JMH suites' fixture: a CPU backend on the default threads and named {@link Workloads}, each checked against the
 * scalar reference before any timing; closing closes the workloads, then the backend.
 */
final class WorkloadSet implements AutoCloseable {
    final Backend backend;
    private final Workload[] workloads;

    WorkloadSet(String... names) {
        backend = Backends.create("cpu", Backends.defaultThreads());
        workloads = new Workload[names.length];
        for (int i = 0; i < names.length; i++) {
            workloads[i] = Workloads.create(names[i], backend);
            workloads[i].verify();
        }
    }

    Workload get(int i) { return workloads[i]; }

    @Override public void close() {
        for (Workload w : workloads) w.close();
        backend.close();
    }
}
