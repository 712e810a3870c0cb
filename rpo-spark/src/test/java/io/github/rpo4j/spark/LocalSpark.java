package io.github.rpo4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The one Spark context of this module's tests (starting one costs seconds): local mode with two task threads, and
 * up to two attempts per task, so that a failed task is retried as on a cluster (local mode's default is one).
 */
final class LocalSpark {

    static final String MASTER = "local[2,2]";

    private static JavaSparkContext context;

    private LocalSpark() {
    }

    static synchronized JavaSparkContext context() {
        if (context == null) {
            SparkConf conf = new SparkConf().setMaster(MASTER).setAppName("rpo-spark tests")
                    .set("spark.ui.enabled", "false")
                    .set("spark.driver.host", "127.0.0.1")
                    .set("spark.driver.bindAddress", "127.0.0.1");
            context = new JavaSparkContext(conf);
            JavaSparkContext started = context;
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "stop test spark context"));
        }
        return context;
    }
}
