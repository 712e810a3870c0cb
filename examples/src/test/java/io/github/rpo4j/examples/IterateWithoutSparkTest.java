package io.github.rpo4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** iterate --spark-master where Spark is absent, as in the rpo4j jar run with plain java (this module's tests). */
class IterateWithoutSparkTest {

    @TempDir
    Path temp;

    @Test
    void sparkIsNotOnThisClasspath() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.apache.spark.SparkContext"));
    }

    @Test
    void sparkMasterWithoutSparkSaysWhatToPutOnTheClasspathAndWritesNothing() throws IOException {
        Path model = IterateFixture.model(temp);
        List<Path> questions = IterateFixture.questions(temp);
        Path out = temp.resolve("run");
        Rpo4jCliTest.Run run = Rpo4jCliTest.run(IterateFixture.iterate(model, questions, out,
                "--spark-master", "spark://head:7077"));
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.err().contains("iterate: error: --spark-master spark://head:7077 needs Apache Spark 3.5 for "
                + "Scala 2.12 (spark-core and spark-sql) on the classpath, and the rpo4j jar does not bundle it: run "
                + "the command through Spark's launcher, spark-submit --master spark://head:7077 --class "
                + "io.github.rpo4j.examples.Rpo4jCli rpo4j.jar iterate --spark-master spark://head:7077"), run.err());
        assertFalse(Files.exists(out), "nothing written");
    }
}
