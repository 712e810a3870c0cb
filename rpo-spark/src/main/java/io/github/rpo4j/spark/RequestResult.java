package io.github.rpo4j.spark;

import io.github.rpo4j.generate.Sample;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One request's samples as they travel back to the driver.
 *
 * @param index   the request's position in the call
 * @param samples per prompt, its samples in order
 */
record RequestResult(int index, SampleRow[][] samples) implements Serializable {

    /** A {@link Sample} under Java serialization. */
    record SampleRow(int promptIndex, int[] tokenIds, String text, double[] logProbs, Sample.Finish finish)
            implements Serializable {

        Sample toSample() {
            return new Sample(promptIndex, tokenIds, text, logProbs, finish);
        }
    }

    static RequestResult of(int index, List<List<Sample>> drawn) {
        SampleRow[][] rows = new SampleRow[drawn.size()][];
        for (int p = 0; p < rows.length; p++) {
            List<Sample> forPrompt = drawn.get(p);
            rows[p] = new SampleRow[forPrompt.size()];
            for (int s = 0; s < rows[p].length; s++) {
                Sample x = forPrompt.get(s);
                rows[p][s] = new SampleRow(x.promptIndex(), x.tokenIds(), x.text(), x.logProbs(), x.finish());
            }
        }
        return new RequestResult(index, rows);
    }

    List<List<Sample>> toSamples() {
        List<List<Sample>> out = new ArrayList<>(samples.length);
        for (SampleRow[] forPrompt : samples) {
            List<Sample> list = new ArrayList<>(forPrompt.length);
            for (SampleRow row : forPrompt) {
                list.add(row.toSample());
            }
            out.add(list);
        }
        return out;
    }
}
