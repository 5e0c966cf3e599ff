package policyzip.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import policyzip.backend.Backend;
import policyzip.backend.Backends;
import policyzip.backend.cpu.KernelsProvider;
import policyzip.env.EnvSpec;
import policyzip.env.Envs;
import policyzip.env.mujoco.MujocoLibrary;

/** {@code policyzip info}: what this machine and build can do. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Print the JDK, Vector API state, backends and environments.")
final class InfoCommand implements Runnable {
    @Mixin BackendOptions backendOptions;
    @Spec CommandSpec spec;

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Runtime rt = Runtime.getRuntime();
        out.println("JDK         " + System.getProperty("java.vendor") + " " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
        out.println("machine     " + System.getProperty("os.arch") + ", " + rt.availableProcessors() + " processors, max heap "
                + rt.maxMemory() / (1 << 20) + " MiB");
        out.println("vector API  " + KernelsProvider.reason());
        try (Backend be = backendOptions.create()) {
            out.println("backend     " + be.name() + ": " + be.describe());
        }
        out.println("backends    " + Backends.availability().replace("\n", "\n            "));
        out.println("MuJoCo      " + MujocoLibrary.describe());
        out.println("envs");
        for (String name : Envs.names()) {
            EnvSpec e = Envs.spec(name);
            out.printf("  %-16s %-26s obs %d, act %d in [%s, %s], %d steps; tasks %s%n", e.name(), e.id(), e.obsDim(), e.actDim(),
                    e.actionLow(), e.actionHigh(), e.maxEpisodeSteps(), String.join(", ", e.tasks()));
        }
    }
}
