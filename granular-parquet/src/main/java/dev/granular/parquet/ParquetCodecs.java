package dev.granular.parquet;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

/**
 * Parquet page codecs without Hadoop. parquet-hadoop's own {@code CodecFactory} goes through
 * Hadoop's {@code CompressionCodec} classes, which are not on our class path; this factory uses
 * the libraries parquet-hadoop already depends on instead: snappy-java for SNAPPY, zstd-jni for
 * ZSTD, and the JDK for GZIP. Other codecs (LZO, BROTLI, LZ4) are refused with an
 * {@link UnsupportedOperationException} that names the codec.
 */
public final class ParquetCodecs implements CompressionCodecFactory {
    /** The codecs this factory handles. */
    static final String SUPPORTED = "UNCOMPRESSED, SNAPPY, ZSTD, GZIP";

    private static final int ZSTD_LEVEL = 3;

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codec) {
        check(codec);
        return new Codec(codec);
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
        check(codec);
        return new Codec(codec);
    }

    @Override
    public void release() {
    }

    private static void check(CompressionCodecName codec) {
        switch (codec) {
            case UNCOMPRESSED, SNAPPY, ZSTD, GZIP -> { }
            default -> throw new UnsupportedOperationException(
                    "Parquet codec " + codec + " is not supported (supported: " + SUPPORTED + ")");
        }
    }

    /** One codec, stateless: both directions work on whole pages as byte arrays. */
    private record Codec(CompressionCodecName name) implements BytesInputCompressor, BytesInputDecompressor {
        @Override
        public BytesInput compress(BytesInput bytes) throws IOException {
            byte[] in = bytes.toByteArray();
            return BytesInput.from(switch (name) {
                case UNCOMPRESSED -> in;
                case SNAPPY -> Snappy.compress(in);
                case ZSTD -> Zstd.compress(in, ZSTD_LEVEL);
                default -> gzip(in);
            });
        }

        @Override
        public CompressionCodecName getCodecName() {
            return name;
        }

        @Override
        public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
            return BytesInput.from(decompress(bytes.toByteArray(), uncompressedSize));
        }

        @Override
        public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize)
                throws IOException {
            byte[] in = new byte[compressedSize];
            input.get(in);
            output.put(decompress(in, uncompressedSize));
        }

        private byte[] decompress(byte[] in, int uncompressedSize) throws IOException {
            byte[] out = switch (name) {
                case UNCOMPRESSED -> in;
                case SNAPPY -> Snappy.uncompress(in);
                case ZSTD -> Zstd.decompress(in, uncompressedSize);
                default -> gunzip(in);
            };
            if (out.length != uncompressedSize) {
                throw new IOException(name + " page decompressed to " + out.length
                        + " bytes, expected " + uncompressedSize);
            }
            return out;
        }

        @Override
        public void release() {
        }

        private static byte[] gzip(byte[] in) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream(in.length / 2 + 64);
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                gz.write(in);
            }
            return out.toByteArray();
        }

        private static byte[] gunzip(byte[] in) throws IOException {
            try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(in))) {
                return gz.readAllBytes();
            }
        }
    }
}
