package io.github.rpo4j.benchmarks;

/**
 * One matrix product of a training step's forward pass, (m, k) x (k, n), named "config.product":
 * S.qkv, M.fc, L.head and so on (see {@link MatmulBenchmark}).
 */
record ModelShape(String name, long m, long k, long n, boolean transB) {

    static final String[] PRODUCTS = {"qkv", "fc", "mlpProj", "head"};

    static ModelShape parse(String name) {
        String[] parts = name.split("\\.");
        Throughput.Size size = Throughput.Size.valueOf(parts[0]);
        long rows = (long) size.batch * size.context;
        long c = size.width;
        return switch (parts[1]) {
            case "qkv" -> new ModelShape(name, rows, c, 3 * c, false);
            case "fc" -> new ModelShape(name, rows, c, 4 * c, false);
            case "mlpProj" -> new ModelShape(name, rows, 4 * c, c, false);
            case "head" -> new ModelShape(name, rows, c, size.vocab, true);
            default -> throw new IllegalArgumentException("unknown product " + name);
        };
    }
}
