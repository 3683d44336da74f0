package org.jpkisim.gp.card;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javacard.framework.Applet;
import org.jpkisim.gp.keys.KeyRepository;
import org.jpkisim.gp.keys.ScpKeySet;

/**
 * Writes and reads a card's persistent state: card life cycle, the security domains' key sets and
 * sequence counters, the GP registry, and every applet's object graph (fields, arrays, keys, PINs:
 * what a card keeps in EEPROM). Objects are re-created without running constructors, fields set by
 * name, transient arrays re-created empty and registered as transient again. jCardSim has no
 * persistence of its own; this is the simulator's.
 */
final class CardStateStore {
    private static final int MAGIC = 0x4A50_5354; // "JPST"
    /** 2 adds the card's identity after the card life cycle; files of version 1 (no identity) still load. */
    private static final int VERSION = 2;

    private static final int REF_NULL = 0, REF_NODE = 1, REF_STRING = 2, REF_CLASS = 3, REF_TRANSIENT = 4,
            REF_BIGINTEGER = 5, REF_ENUM = 6;

    private CardStateStore() {
    }

    // ---- writing -------------------------------------------------------------------------------

    static void write(DataOutputStream out, CardBackend backend, CardContent content, GpRuntime runtime,
                      Transactions transactions, CardIdentity identity) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeByte(backend.cardState());
        identity.write(out);
        // key sets per security domain
        Map<String, KeyRepository> domains = content.domainKeys();
        out.writeInt(domains.size());
        for (Map.Entry<String, KeyRepository> d : domains.entrySet()) {
            out.writeUTF(d.getKey());
            List<ScpKeySet> sets = d.getValue().all();
            out.writeInt(sets.size());
            for (ScpKeySet set : sets) {
                out.writeByte(set.version());
                out.writeByte(set.scp());
                out.writeByte(set.i());
                bytes(out, set.enc());
                bytes(out, set.mac());
                bytes(out, set.dek());
                out.writeLong(d.getValue().counter(set));
            }
        }
        // registry
        Registry registry = content.registry();
        List<Registry.LoadFileEntry> loadFiles = registry.loadFiles();
        out.writeInt(loadFiles.size());
        for (Registry.LoadFileEntry l : loadFiles) {
            bytes(out, l.aid);
            out.writeByte(l.major);
            out.writeByte(l.minor);
            out.writeInt(l.modules.size());
            for (byte[] m : l.modules) {
                bytes(out, m);
            }
            bytes(out, l.securityDomain);
        }
        List<Registry.Application> apps = registry.applications();
        out.writeInt(apps.size());
        for (Registry.Application a : apps) {
            bytes(out, a.aid);
            optionalBytes(out, a.loadFile);
            optionalBytes(out, a.module);
            bytes(out, a.privileges);
            optionalBytes(out, a.securityDomain);
            out.writeByte(a.state);
        }
        // applet objects
        Set<Object> transientArrays = transactions.transientArrays();
        List<Object> roots = new ArrayList<>();
        List<byte[]> rootAids = new ArrayList<>();
        for (com.licel.jcardsim.base.SimulatorRuntime.ApplicationInstance instance : runtime.instances()) {
            if (!(instance.getApplet() instanceof IssuerSecurityDomain)) {
                roots.add(instance.getApplet());
                rootAids.add(aidBytes(instance.getAID()));
            }
        }
        List<Object> nodes = ObjectGraph.reach(roots, transientArrays, true);
        IdentityHashMap<Object, Integer> index = new IdentityHashMap<>();
        for (int n = 0; n < nodes.size(); n++) {
            index.put(nodes.get(n), n);
        }
        List<Object> transients = new ArrayList<>();
        IdentityHashMap<Object, Integer> transientIndex = new IdentityHashMap<>();
        out.writeInt(nodes.size());
        for (Object o : nodes) {
            Class<?> type = o.getClass();
            out.writeUTF(type.getName());
            if (type.isArray()) {
                out.writeInt(Array.getLength(o));
            }
        }
        for (Object o : nodes) {
            Class<?> type = o.getClass();
            if (type.isArray()) {
                Class<?> component = type.getComponentType();
                int length = Array.getLength(o);
                if (component.isPrimitive()) {
                    for (int i = 0; i < length; i++) {
                        primitive(out, component, Array.get(o, i));
                    }
                } else {
                    for (Object e : (Object[]) o) {
                        ref(out, e, index, transients, transientIndex, "array element");
                    }
                }
                continue;
            }
            Field[] fields = ObjectGraph.fields(type);
            out.writeInt(fields.length);
            for (Field f : fields) {
                out.writeUTF(f.getDeclaringClass().getName() + "." + f.getName());
                Object v = ObjectGraph.get(f, o);
                if (f.getType().isPrimitive()) {
                    primitive(out, f.getType(), v);
                } else {
                    ref(out, v, index, transients, transientIndex, f.toString());
                }
            }
        }
        GpTransientMemory memory = runtime.memory();
        out.writeInt(transients.size());
        for (Object t : transients) {
            out.writeUTF(t.getClass().getComponentType().getName());
            out.writeInt(Array.getLength(t));
            out.writeByte(memory.kind(t));
        }
        out.writeInt(roots.size());
        for (int n = 0; n < roots.size(); n++) {
            bytes(out, rootAids.get(n));
            out.writeInt(index.get(roots.get(n)));
        }
    }

    private static void ref(DataOutputStream out, Object v, IdentityHashMap<Object, Integer> index, List<Object> transients,
                            IdentityHashMap<Object, Integer> transientIndex, String where) throws IOException {
        if (v == null) {
            out.writeByte(REF_NULL);
        } else if (index.containsKey(v)) {
            out.writeByte(REF_NODE);
            out.writeInt(index.get(v));
        } else if (v instanceof String s) {
            out.writeByte(REF_STRING);
            out.writeUTF(s);
        } else if (v instanceof Class<?> c) {
            out.writeByte(REF_CLASS);
            out.writeUTF(c.getName());
        } else if (v instanceof BigInteger b) {
            out.writeByte(REF_BIGINTEGER);
            bytes(out, b.toByteArray());
        } else if (v instanceof Enum<?> e) {
            out.writeByte(REF_ENUM);
            out.writeUTF(e.getDeclaringClass().getName());
            out.writeUTF(e.name());
        } else if (v.getClass().isArray() && v.getClass().getComponentType().isPrimitive()) {
            Integer t = transientIndex.get(v);
            if (t == null) {
                t = transients.size();
                transients.add(v);
                transientIndex.put(v, t);
            }
            out.writeByte(REF_TRANSIENT);
            out.writeInt(t);
        } else {
            throw new IOException("cannot keep " + v.getClass().getName() + " (" + where + ") in the card state");
        }
    }

    private static void primitive(DataOutputStream out, Class<?> type, Object v) throws IOException {
        if (type == byte.class) {
            out.writeByte((Byte) v);
        } else if (type == short.class) {
            out.writeShort((Short) v);
        } else if (type == int.class) {
            out.writeInt((Integer) v);
        } else if (type == long.class) {
            out.writeLong((Long) v);
        } else if (type == boolean.class) {
            out.writeBoolean((Boolean) v);
        } else if (type == char.class) {
            out.writeChar((Character) v);
        } else if (type == float.class) {
            out.writeFloat((Float) v);
        } else {
            out.writeDouble((Double) v);
        }
    }

    private static Object readPrimitive(DataInputStream in, Class<?> type) throws IOException {
        if (type == byte.class) {
            return in.readByte();
        } else if (type == short.class) {
            return in.readShort();
        } else if (type == int.class) {
            return in.readInt();
        } else if (type == long.class) {
            return in.readLong();
        } else if (type == boolean.class) {
            return in.readBoolean();
        } else if (type == char.class) {
            return in.readChar();
        } else if (type == float.class) {
            return in.readFloat();
        }
        return in.readDouble();
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static void optionalBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeBoolean(b != null);
        if (b != null) {
            bytes(out, b);
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1 << 24) {
            throw new IOException("corrupt card state");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    private static byte[] readOptional(DataInputStream in) throws IOException {
        return in.readBoolean() ? readBytes(in) : null;
    }

    private static byte[] aidBytes(javacard.framework.AID aid) {
        byte[] b = new byte[16];
        byte n = aid.getBytes(b, (short) 0);
        return java.util.Arrays.copyOf(b, n);
    }

    // ---- reading -------------------------------------------------------------------------------

    /** The parts of a saved state needed before the card exists: the ISD's key sets come first. */
    static final class Saved {
        byte cardState;
        /** Null for a file written before cards had identities. */
        CardIdentity identity;
        final Map<String, KeyRepository> domains = new HashMap<>();
        final List<Registry.LoadFileEntry> loadFiles = new ArrayList<>();
        final List<Registry.Application> applications = new ArrayList<>();
        DataInputStream rest;
    }

    static Saved readHead(DataInputStream in) throws IOException {
        int format = in.readInt() != MAGIC ? -1 : in.readInt();
        if (format != 1 && format != VERSION) {
            throw new IOException("not a card state file of this simulator version");
        }
        Saved s = new Saved();
        s.cardState = in.readByte();
        s.identity = format >= 2 ? CardIdentity.read(in) : null;
        int domains = in.readInt();
        for (int d = 0; d < domains; d++) {
            String aid = in.readUTF();
            int count = in.readInt();
            List<ScpKeySet> sets = new ArrayList<>();
            List<long[]> counters = new ArrayList<>();
            for (int n = 0; n < count; n++) {
                int version = in.readUnsignedByte();
                int scp = in.readUnsignedByte();
                int i = in.readUnsignedByte();
                sets.add(new ScpKeySet(version, scp, i, readBytes(in), readBytes(in), readBytes(in)));
                counters.add(new long[] {version, in.readLong()});
            }
            KeyRepository keys = new KeyRepository(sets);
            for (long[] c : counters) {
                keys.setCounter((int) c[0], c[1]);
            }
            s.domains.put(aid, keys);
        }
        int loadFiles = in.readInt();
        for (int n = 0; n < loadFiles; n++) {
            byte[] aid = readBytes(in);
            int major = in.readUnsignedByte();
            int minor = in.readUnsignedByte();
            int modules = in.readInt();
            List<byte[]> list = new ArrayList<>();
            for (int m = 0; m < modules; m++) {
                list.add(readBytes(in));
            }
            s.loadFiles.add(new Registry.LoadFileEntry(aid, major, minor, list, readBytes(in)));
        }
        int apps = in.readInt();
        for (int n = 0; n < apps; n++) {
            byte[] aid = readBytes(in);
            byte[] loadFile = readOptional(in);
            byte[] module = readOptional(in);
            byte[] privileges = readBytes(in);
            byte[] sd = readOptional(in);
            int state = in.readUnsignedByte();
            s.applications.add(new Registry.Application(aid, loadFile, module, privileges, sd, state));
        }
        s.rest = in;
        return s;
    }

    /** Reads the applet graphs and returns AID -> applet, with transient arrays registered in the runtime's memory. */
    static Map<String, Applet> readApplets(DataInputStream in, GpTransientMemory memory) throws IOException {
        int count = in.readInt();
        Object[] nodes = new Object[count];
        for (int n = 0; n < count; n++) {
            String name = in.readUTF();
            Class<?> type = load(name);
            if (type.isArray()) {
                nodes[n] = Array.newInstance(type.getComponentType(), in.readInt());
            } else {
                nodes[n] = allocate(type);
            }
        }
        List<Object[]> pendingRefs = new ArrayList<>(); // {target, field-or-index, kind, value}
        for (int n = 0; n < count; n++) {
            Object o = nodes[n];
            Class<?> type = o.getClass();
            if (type.isArray()) {
                Class<?> component = type.getComponentType();
                int length = Array.getLength(o);
                for (int i = 0; i < length; i++) {
                    if (component.isPrimitive()) {
                        Array.set(o, i, readPrimitive(in, component));
                    } else {
                        readRef(in, nodes, pendingRefs, o, i);
                    }
                }
                continue;
            }
            Map<String, Field> byName = new HashMap<>();
            for (Field f : ObjectGraph.fields(type)) {
                byName.put(f.getDeclaringClass().getName() + "." + f.getName(), f);
            }
            int fields = in.readInt();
            for (int k = 0; k < fields; k++) {
                Field f = byName.get(in.readUTF());
                if (f == null) {
                    throw new IOException("the card state names a field " + type.getName() + " no longer has");
                }
                if (f.getType().isPrimitive()) {
                    ObjectGraph.set(f, o, readPrimitive(in, f.getType()));
                } else {
                    readRef(in, nodes, pendingRefs, o, f);
                }
            }
        }
        int transients = in.readInt();
        Object[] arrays = new Object[transients];
        for (int t = 0; t < transients; t++) {
            Class<?> component = primitiveClass(in.readUTF());
            arrays[t] = Array.newInstance(component, in.readInt());
            byte kind = in.readByte();
            memory.register(arrays[t], kind == 0 ? 2 : kind);
        }
        for (Object[] p : pendingRefs) {
            Object value = arrays[(Integer) p[2]];
            if (p[1] instanceof Field f) {
                ObjectGraph.set(f, p[0], value);
            } else {
                Array.set(p[0], (Integer) p[1], value);
            }
        }
        Map<String, Applet> out = new HashMap<>();
        int roots = in.readInt();
        for (int r = 0; r < roots; r++) {
            byte[] aid = readBytes(in);
            out.put(Registry.key(aid), (Applet) nodes[in.readInt()]);
        }
        return out;
    }

    private static void readRef(DataInputStream in, Object[] nodes, List<Object[]> pending, Object target, Object slot) throws IOException {
        int tag = in.readUnsignedByte();
        Object value;
        switch (tag) {
            case REF_NULL -> value = null;
            case REF_NODE -> value = nodes[in.readInt()];
            case REF_STRING -> value = in.readUTF();
            case REF_CLASS -> value = load(in.readUTF());
            case REF_BIGINTEGER -> value = new BigInteger(readBytes(in));
            case REF_ENUM -> value = enumValue(load(in.readUTF()), in.readUTF());
            case REF_TRANSIENT -> {
                pending.add(new Object[] {target, slot, in.readInt()});
                return;
            }
            default -> throw new IOException("corrupt card state (reference tag " + tag + ")");
        }
        if (slot instanceof Field f) {
            ObjectGraph.set(f, target, value);
        } else {
            Array.set(target, (Integer) slot, value);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumValue(Class<?> type, String name) {
        return Enum.valueOf((Class) type, name);
    }

    private static Class<?> primitiveClass(String name) throws IOException {
        return switch (name) {
            case "byte" -> byte.class;
            case "short" -> short.class;
            case "int" -> int.class;
            case "long" -> long.class;
            case "boolean" -> boolean.class;
            case "char" -> char.class;
            case "float" -> float.class;
            case "double" -> double.class;
            default -> throw new IOException("transient array of " + name);
        };
    }

    private static Class<?> load(String name) throws IOException {
        try {
            return Class.forName(name, false, CardStateStore.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IOException("the card state needs class " + name + ", not in this simulator", e);
        }
    }

    private static Object unsafe;
    private static Method allocateInstance;

    /** An object of the class without running a constructor (its fields come from the state). */
    private static synchronized Object allocate(Class<?> type) throws IOException {
        try {
            if (allocateInstance == null) {
                Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
                Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
                theUnsafe.setAccessible(true);
                unsafe = theUnsafe.get(null);
                allocateInstance = unsafeClass.getMethod("allocateInstance", Class.class);
            }
            return allocateInstance.invoke(unsafe, type);
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot re-create " + type.getName(), e);
        }
    }
}
