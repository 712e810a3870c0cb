package io.github.rpo4j.examples;

import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.spark.SparkSampling;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session of {@code iterate --spark-master URL}: this process is Spark's driver; the loop's sampling and
 * evaluation run as Spark tasks on the master's executors (rpo-spark's {@link SparkSampling}), while training and
 * every file of the run directory stay here. Spark is not in the rpo4j jar: {@link #requireSpark(String)} names what
 * to put on the classpath, and is called before this class touches any Spark class.
 */
final class SparkMasterSession implements AutoCloseable {

    /** The class whose presence says Spark SQL (and so Spark core) is on the classpath. */
    private static final String SPARK_SESSION_CLASS = "org.apache.spark.sql.SparkSession";

    private final SparkSession session;

    private SparkMasterSession(SparkSession session) {
        this.session = session;
    }

    /**
     * Checks that Spark is on the classpath, without loading any Spark class of this one.
     *
     * @throws IllegalStateException when it is not, saying how to run the command with Spark
     */
    static void requireSpark(String master) {
        try {
            Class.forName(SPARK_SESSION_CLASS, false, SparkMasterSession.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("--spark-master " + master + " needs Apache Spark 3.5 for Scala 2.12 "
                    + "(spark-core and spark-sql) on the classpath, and the rpo4j jar does not bundle it: run the "
                    + "command through Spark's launcher, spark-submit --master " + master + " --class "
                    + Rpo4jCli.class.getName() + " rpo4j.jar iterate --spark-master " + master + " ... "
                    + "(docs/distributed.md)", e);
        }
    }

    /** Starts (or joins, under spark-submit) the Spark session of {@code master}. Call {@link #requireSpark} first. */
    static SparkMasterSession start(String master) {
        return new SparkMasterSession(SparkSession.builder().master(master).appName("rpo4j iterate").getOrCreate());
    }

    /** Sampling and evaluation on the session's executors. */
    SamplingBackend sampler() {
        return SparkSampling.on(session);
    }

    @Override
    public void close() {
        session.stop();
    }
}
