package org.jpkisim.gp.card;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The persistent object graph of the card's applets, reached by reflection from the applet
 * instances: applet objects, their arrays, keys, PINs and the like. jCardSim keeps applet state as
 * plain Java objects and has no notion of persistent memory; this is what the simulator uses as the
 * card's EEPROM: a snapshot of it is the state a transaction rolls back to.
 *
 * <p>Not part of the graph (kept as references, never copied): transient arrays (not subject to
 * transactions or persistence), JDK objects (immutable values such as String), the simulator's own
 * classes (security domains, the card) and jCardSim's runtime.
 */
final class ObjectGraph {
    private static final Map<Class<?>, Field[]> FIELDS = new ConcurrentHashMap<>();

    private ObjectGraph() {
    }

    /** Whether an object is a node of the applet graph (else it is a leaf kept by reference). */
    static boolean isNode(Object o, Set<Object> transientArrays) {
        if (o == null || o instanceof Class) {
            return false;
        }
        Class<?> type = o.getClass();
        if (type.isArray()) {
            return !transientArrays.contains(o);
        }
        if (type.isEnum() || type.isSynthetic()) {
            return false;
        }
        String name = type.getName();
        if (o instanceof javacard.framework.Applet) {
            return !(o instanceof IssuerSecurityDomain);
        }
        return !(name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk.") || name.startsWith("sun.")
                || name.startsWith("com.licel.jcardsim.base.") || name.startsWith("org.jpkisim.gp.")
                || name.startsWith("org.globalplatform."));
    }

    /** Instance fields of a class and its superclasses below java.lang.Object, accessible. */
    static Field[] fields(Class<?> type) {
        return FIELDS.computeIfAbsent(type, t -> {
            List<Field> out = new ArrayList<>();
            for (Class<?> c = t; c != null && c != Object.class && !c.getName().startsWith("java."); c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (!Modifier.isStatic(f.getModifiers())) {
                        f.setAccessible(true);
                        out.add(f);
                    }
                }
            }
            return out.toArray(new Field[0]);
        });
    }

    /** The try counter of an OwnerPIN is never rolled back (Java Card 2.2+ API, OwnerPIN). */
    static boolean nonAtomic(Field field) {
        return field.getDeclaringClass() == javacard.framework.OwnerPIN.class && field.getName().equals("triesLeft");
    }

    /** Every node reachable from the roots, in a stable order (roots first, then breadth first). */
    static List<Object> reach(List<Object> roots, Set<Object> transientArrays) {
        return reach(roots, transientArrays, false);
    }

    /** As reach(), optionally following the non-transactional fields too (for the saved state). */
    static List<Object> reach(List<Object> roots, Set<Object> transientArrays, boolean all) {
        Map<Object, Boolean> seen = new IdentityHashMap<>();
        List<Object> order = new ArrayList<>();
        for (Object root : roots) {
            if (isNode(root, transientArrays) && seen.put(root, Boolean.TRUE) == null) {
                order.add(root);
            }
        }
        for (int n = 0; n < order.size(); n++) {
            Object o = order.get(n);
            Class<?> type = o.getClass();
            if (type.isArray()) {
                if (!type.getComponentType().isPrimitive()) {
                    for (Object e : (Object[]) o) {
                        if (isNode(e, transientArrays) && seen.put(e, Boolean.TRUE) == null) {
                            order.add(e);
                        }
                    }
                }
                continue;
            }
            for (Field f : fields(type)) {
                if (f.getType().isPrimitive() || (nonAtomic(f) && !all)) {
                    continue;
                }
                Object v = get(f, o);
                if (isNode(v, transientArrays) && seen.put(v, Boolean.TRUE) == null) {
                    order.add(v);
                }
            }
        }
        return order;
    }

    static Object get(Field f, Object o) {
        try {
            return f.get(o);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    static void set(Field f, Object o, Object value) {
        try {
            f.set(o, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot restore " + f, e);
        }
    }

    /** An in-memory copy of the graph's contents, written back into the same objects by restore(). */
    static final class Snapshot {
        private final IdentityHashMap<Object, Object> copies = new IdentityHashMap<>();

        Snapshot(List<Object> nodes) {
            for (Object o : nodes) {
                Class<?> type = o.getClass();
                if (type.isArray()) {
                    int length = Array.getLength(o);
                    Object copy = Array.newInstance(type.getComponentType(), length);
                    System.arraycopy(o, 0, copy, 0, length);
                    copies.put(o, copy);
                } else {
                    Field[] fields = fields(type);
                    Object[] values = new Object[fields.length];
                    for (int i = 0; i < fields.length; i++) {
                        values[i] = get(fields[i], o);
                    }
                    copies.put(o, values);
                }
            }
        }

        /** Whether the object is part of the snapshot (persistent applet state). */
        boolean contains(Object o) {
            return copies.containsKey(o);
        }

        void restore() {
            for (Map.Entry<Object, Object> e : copies.entrySet()) {
                Object o = e.getKey();
                Class<?> type = o.getClass();
                if (type.isArray()) {
                    System.arraycopy(e.getValue(), 0, o, 0, Array.getLength(o));
                } else {
                    Field[] fields = fields(type);
                    Object[] values = (Object[]) e.getValue();
                    for (int i = 0; i < fields.length; i++) {
                        // final fields never change after construction; the OwnerPIN counter is not transactional
                        if (!nonAtomic(fields[i]) && !Modifier.isFinal(fields[i].getModifiers())) {
                            set(fields[i], o, values[i]);
                        }
                    }
                }
            }
        }
    }
}
