package io.github.rpo4j.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.rpo4j.tensor.NativeMemory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The {@code rpo4j} command line. Results go to standard output (JSON or plain text), logs and
 * errors to standard error.
 */
@Command(name = "rpo4j",
        mixinStandardHelpOptions = true,
        versionProvider = Rpo4jCli.Version.class,
        description = "Reasoning self-improvement of small language models on the JVM.",
        // Add new subcommands here; each is a picocli @Command class in this package.
        subcommands = {
                ScoreCommand.class,
                SampleCommand.class,
                SftCommand.class,
                QuickstartCommand.class,
                IterateCommand.class,
                EvalCommand.class,
                AblateCommand.class,
                StartingModelCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class Rpo4jCli implements Runnable {

    /** Shared by the subcommands for their JSON output. */
    static final ObjectMapper JSON = new ObjectMapper();

    private static final Logger LOG = LoggerFactory.getLogger(Rpo4jCli.class);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand");
    }

    public static void main(String[] args) {
        NativeMemory.applyDefaults();
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line with its execution settings: the ND4J backend is logged before a subcommand runs, and
     * failures are reported as one line naming the subcommand (the stack trace only for unexpected errors).
     */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Rpo4jCli());
        cli.setExecutionStrategy(Rpo4jCli::execute);
        cli.setExecutionExceptionHandler(Rpo4jCli::reportFailure);
        return cli;
    }

    private static int execute(ParseResult parseResult) {
        if (runsASubcommand(parseResult)) {
            logBackend();
        }
        return new CommandLine.RunLast().execute(parseResult);
    }

    /** True when the parsed command line runs real work, not help, version or the bare top-level command. */
    private static boolean runsASubcommand(ParseResult parseResult) {
        ParseResult last = parseResult;
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested()) {
                return false;
            }
            last = p;
        }
        Object command = last.commandSpec().userObject();
        return last != parseResult && !(command instanceof CommandLine.HelpCommand);
    }

    /** Logs the ND4J backend in use, once per process. */
    static synchronized void logBackend() {
        if (!backendLogged) {
            backendLogged = true;
            LOG.info("ND4J backend: {}", Nd4j.getBackend().getClass().getSimpleName());
        }
    }

    private static boolean backendLogged;

    private static int reportFailure(Exception failure, CommandLine command, ParseResult parseResult) {
        boolean expected = failure instanceof IOException || failure instanceof UncheckedIOException
                || failure instanceof IllegalArgumentException || failure instanceof IllegalStateException;
        command.getErr().println(command.getCommandSpec().qualifiedName() + ": error: " + describe(failure));
        if (!expected || LOG.isDebugEnabled()) {
            failure.printStackTrace(command.getErr());
        }
        command.getErr().flush();
        return command.getExitCodeExceptionMapper() != null
                ? command.getExitCodeExceptionMapper().getExitCode(failure)
                : command.getCommandSpec().exitCodeOnExecutionException();
    }

    /** The exception's message; file exceptions' messages name the file, so the type adds only what went wrong. */
    private static String describe(Exception failure) {
        String message = failure.getMessage();
        if (failure instanceof java.nio.file.NoSuchFileException) {
            return "no such file: " + message;
        }
        return message == null ? failure.getClass().getSimpleName() : message;
    }

    /** The project version, from the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = Rpo4jCli.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"rpo4j " + properties.getProperty("version", "(unknown version)")};
        }
    }
}
