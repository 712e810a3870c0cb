package io.github.rpo4j.examples;

import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.inference.TTest;

/** The statistics of the ablation table: means with t-intervals over seeds, and paired tests against RPO. */
final class AblationStatistics {

    private AblationStatistics() {
    }

    /** Mean and the 95% t-interval over seeds; the interval is NaN-wide with fewer than two seeds. */
    record MeanInterval(double mean, double lower, double upper, int n) {
    }

    static MeanInterval meanInterval(double[] values) {
        int n = values.length;
        double mean = 0;
        for (double v : values) {
            mean += v;
        }
        mean /= n;
        if (n < 2) {
            return new MeanInterval(mean, Double.NaN, Double.NaN, n);
        }
        double ss = 0;
        for (double v : values) {
            ss += (v - mean) * (v - mean);
        }
        double sd = Math.sqrt(ss / (n - 1));
        double half = new TDistribution(n - 1).inverseCumulativeProbability(0.975) * sd / Math.sqrt(n);
        return new MeanInterval(mean, mean - half, mean + half, n);
    }

    /**
     * McNemar's exact test on paired correctness: {@code onlyFirst} pairs where only the first model was
     * right, {@code onlySecond} where only the second was. Two-sided p-value of the binomial test of the
     * discordant pairs against 1/2 (1 when there are none).
     */
    static double mcnemarExactP(int onlyFirst, int onlySecond) {
        int n = onlyFirst + onlySecond;
        if (n == 0) {
            return 1.0;
        }
        double tail = new BinomialDistribution(null, n, 0.5).cumulativeProbability(Math.min(onlyFirst, onlySecond));
        return Math.min(1.0, 2 * tail);
    }

    /** Two-sided paired t-test p-value over seeds; NaN with fewer than two seeds or identical differences. */
    static double pairedTTestP(double[] a, double[] b) {
        if (a.length < 2) {
            return Double.NaN;
        }
        boolean constant = true;
        for (int i = 1; i < a.length; i++) {
            constant &= a[i] - b[i] == a[0] - b[0];
        }
        return constant ? Double.NaN : new TTest().pairedTTest(a, b);
    }
}
