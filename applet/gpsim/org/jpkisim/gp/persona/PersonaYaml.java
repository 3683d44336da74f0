package org.jpkisim.gp.persona;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The YAML subset persona files are written in, read without a YAML library (the simulator jar carries
 * none): mappings by indentation, scalars (quotes optional), lists of scalars either inline
 * ({@code [a, b]}) or as {@code - item} lines, and {@code #} comments. Anything else is an error that
 * names the line, so a persona file never means something other than what it says.
 */
final class PersonaYaml {
    private final String file;
    private final List<Line> lines = new ArrayList<>();
    private int next;

    private record Line(int number, int indent, String text) {
    }

    private PersonaYaml(String file, String text) {
        this.file = file;
        String[] raw = text.split("\r?\n", -1);
        for (int n = 0; n < raw.length; n++) {
            String line = stripComment(raw[n]);
            if (line.isBlank()) {
                continue;
            }
            int indent = 0;
            while (indent < line.length() && line.charAt(indent) == ' ') {
                indent++;
            }
            if (line.charAt(indent) == '\t') {
                throw error(n + 1, "tabs are not allowed for indentation");
            }
            lines.add(new Line(n + 1, indent, line.strip()));
        }
    }

    /** The document as nested maps: values are String, List<String> or Map<String, Object>. */
    static Map<String, Object> parse(String file, String text) {
        PersonaYaml reader = new PersonaYaml(file, text);
        if (reader.lines.isEmpty()) {
            throw new IllegalArgumentException(file + ": empty persona file");
        }
        Map<String, Object> map = reader.map(reader.lines.get(0).indent);
        if (reader.next < reader.lines.size()) {
            throw reader.error(reader.lines.get(reader.next).number, "unexpected indentation");
        }
        return map;
    }

    private Map<String, Object> map(int indent) {
        Map<String, Object> out = new LinkedHashMap<>();
        while (next < lines.size() && lines.get(next).indent == indent) {
            Line line = lines.get(next);
            if (line.text.startsWith("- ")) {
                throw error(line.number, "a list item where a key was expected");
            }
            int colon = line.text.indexOf(':');
            if (colon <= 0 || (colon + 1 < line.text.length() && line.text.charAt(colon + 1) != ' ')) {
                throw error(line.number, "expected 'key: value'");
            }
            String key = line.text.substring(0, colon).strip();
            String value = line.text.substring(colon + 1).strip();
            if (out.containsKey(key)) {
                throw error(line.number, "duplicate key '" + key + "'");
            }
            next++;
            if (!value.isEmpty()) {
                out.put(key, scalarOrInlineList(value, line.number));
            } else if (next < lines.size() && lines.get(next).indent > indent) {
                int inner = lines.get(next).indent;
                out.put(key, lines.get(next).text.startsWith("- ") ? list(inner) : map(inner));
            } else {
                out.put(key, "");
            }
        }
        return out;
    }

    private List<String> list(int indent) {
        List<String> out = new ArrayList<>();
        while (next < lines.size() && lines.get(next).indent == indent && lines.get(next).text.startsWith("- ")) {
            Line line = lines.get(next++);
            out.add(unquote(line.text.substring(2).strip()));
        }
        return out;
    }

    private Object scalarOrInlineList(String value, int number) {
        if (value.startsWith("[")) {
            if (!value.endsWith("]")) {
                throw error(number, "an inline list must end on its line with ']'");
            }
            List<String> out = new ArrayList<>();
            String inner = value.substring(1, value.length() - 1).strip();
            if (!inner.isEmpty()) {
                for (String item : inner.split(",")) {
                    out.add(unquote(item.strip()));
                }
            }
            return out;
        }
        if (value.startsWith("{")) {
            throw error(number, "inline mappings are not part of the persona format: use indented keys");
        }
        return unquote(value);
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.charAt(0) == '"' || value.charAt(0) == '\'')
                && value.charAt(value.length() - 1) == value.charAt(0)) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    /** Drops a comment: '#' at the start or after a space, outside quotes. */
    private static String stripComment(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '#' && (i == 0 || line.charAt(i - 1) == ' ')) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    private IllegalArgumentException error(int line, String reason) {
        return new IllegalArgumentException(file + ":" + line + ": " + reason);
    }
}
