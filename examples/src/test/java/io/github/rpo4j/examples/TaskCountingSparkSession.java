package io.github.rpo4j.examples;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

/**
 * A local Spark session that counts the tasks that ran, for a command to join (as it joins spark-submit's). Its own
 * class, so that test classes which hold it load no Spark class until they use it (JUnit loads every test class of
 * the module, also where Spark is absent).
 */
final class TaskCountingSparkSession {

    private final SparkSession session;
    private final AtomicInteger tasks = new AtomicInteger();

    private TaskCountingSparkSession(SparkSession session) {
        this.session = session;
        session.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                tasks.incrementAndGet();
            }
        });
    }

    /** Starts a session on {@code master}, without web UI, its driver on the loopback address. */
    static TaskCountingSparkSession start(String master) {
        return new TaskCountingSparkSession(SparkSession.builder().master(master).appName("rpo4j test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate());
    }

    /** Tasks ended so far; final once the session is stopped (stopping drains Spark's listener bus). */
    int tasksEnded() {
        return tasks.get();
    }

    boolean isStopped() {
        return session.sparkContext().isStopped();
    }
}
