package io.github.rpo4j.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The one Spark session of this module's tests (starting one costs seconds): local mode with two task threads, and
 * up to two attempts per task, so that a failed task is retried as on a cluster (local mode's default is one).
 */
final class LocalSpark {

    static final String MASTER = "local[2,2]";

    private static SparkSession session;

    private LocalSpark() {
    }

    static synchronized SparkSession session() {
        if (session == null) {
            session = SparkSession.builder().master(MASTER).appName("rpo-spark tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .getOrCreate();
            SparkSession started = session;
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "stop test spark session"));
        }
        return session;
    }

    /** The session's context, for the Spark-core form {@link SparkSampling#on(JavaSparkContext)}. */
    static JavaSparkContext context() {
        return JavaSparkContext.fromSparkContext(session().sparkContext());
    }
}
