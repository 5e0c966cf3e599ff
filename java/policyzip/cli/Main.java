package policyzip.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code policyzip} command line: subcommands, and the one place that turns a failure into one line and an
 * exit status. Set {@code POLICYZIP_DEBUG=1} to see stack traces.
 */
@Command(name = "policyzip", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Unsupervised behavioural compression of policy parameter spaces.",
        subcommands = {DemoCommand.class, DatasetCommand.class, TrainCommand.class, RecoverCommand.class, ReproduceCommand.class,
                RolloutCommand.class, SearchCommand.class, BenchCommand.class, InfoCommand.class, SelfCheckCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI on {@code args}; returns the exit status (0 ok, 1 failure, 2 bad usage or input). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean debug = System.getenv("POLICYZIP_DEBUG") != null;
            if (debug) ex.printStackTrace(err);
            if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                    || ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
                err.println("policyzip " + commandLine.getCommandName() + ": " + ex.getMessage());
                return 2;
            }
            err.println("policyzip " + commandLine.getCommandName() + ": internal error: " + ex
                    + (debug ? "" : " (set POLICYZIP_DEBUG=1 for the stack trace)"));
            return 1;
        });
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"policyzip " + (v == null ? "(development build)" : v) + ", Java " + Runtime.version()};
        }
    }
}
