package org.jpkisim.gp.card;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jpkisim.gp.content.ContentException;

/** BER-TLV as GlobalPlatform commands use it: 1- or 2-byte tags, lengths up to 82 xx xx. */
record Tlv(int tag, byte[] value) {
    /** {tag, value offset, value length} of the TLV at off; refuses anything malformed with 6A80. */
    static int[] header(byte[] data, int off) {
        int p = off;
        if (p >= data.length) {
            throw ContentException.wrongData("TLV truncated");
        }
        int tag = data[p++] & 0xFF;
        if ((tag & 0x1F) == 0x1F) {
            if (p >= data.length) {
                throw ContentException.wrongData("TLV tag truncated");
            }
            tag = (tag << 8) | (data[p++] & 0xFF);
        }
        if (p >= data.length) {
            throw ContentException.wrongData("TLV length missing");
        }
        int length = data[p++] & 0xFF;
        if (length == 0x81 || length == 0x82) {
            int n = length - 0x80;
            if (p + n > data.length) {
                throw ContentException.wrongData("TLV length truncated");
            }
            length = 0;
            for (int k = 0; k < n; k++) {
                length = (length << 8) | (data[p++] & 0xFF);
            }
        } else if (length > 0x80) {
            throw ContentException.wrongData("TLV length form not supported");
        }
        if (p + length > data.length) {
            throw ContentException.wrongData("TLV value runs past the data");
        }
        return new int[] {tag, p, length};
    }

    static List<Tlv> parseAll(byte[] data) {
        List<Tlv> out = new ArrayList<>();
        int off = 0;
        while (off < data.length) {
            int[] h = header(data, off);
            out.add(new Tlv(h[0], Arrays.copyOfRange(data, h[1], h[1] + h[2])));
            off = h[1] + h[2];
        }
        return out;
    }

    /** SET STATUS data: the AID itself (GP) or, as some hosts send it, 4F-tagged. */
    static byte[] bareOrTagged(byte[] data) {
        if (data.length >= 7 && (data[0] & 0xFF) == 0x4F && (data[1] & 0xFF) == data.length - 2) {
            return Arrays.copyOfRange(data, 2, data.length);
        }
        if (data.length < 5 || data.length > 16) {
            throw ContentException.wrongData("AID length " + data.length);
        }
        return data;
    }

    static void write(ByteArrayOutputStream out, int tag, byte[] value) {
        if (tag > 0xFF) {
            out.write(tag >> 8);
        }
        out.write(tag & 0xFF);
        if (value.length > 0xFF) {
            out.write(0x82);
            out.write(value.length >> 8);
        } else if (value.length > 0x7F) {
            out.write(0x81);
        }
        out.write(value.length & 0xFF);
        out.writeBytes(value);
    }
}
