package io.chainbrain.neo4j;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Runs Neo4j Community as an embedded DBMS with the Bolt connector enabled.
 *
 * <p>Usage: {@code Launcher --home DIR [--host 127.0.0.1] [--port 7687] [--auth false]
 * [--ready-file FILE] [--conf key=value]...}. With {@code --auth true} the password of the
 * {@code neo4j} user is taken from the environment variable {@code CHAIN_BRAIN_NEO4J_PASSWORD};
 * there is no default. Once Bolt accepts connections the launcher prints a line starting with
 * {@code READY} and writes the ready file ({@code pid=}, {@code port=}, {@code uri=} lines).
 * SIGTERM shuts the DBMS down cleanly and removes the ready file.
 */
public final class Launcher {
    static final String PASSWORD_ENV = "CHAIN_BRAIN_NEO4J_PASSWORD";

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        Path home = null;
        String host = "127.0.0.1";
        int port = 7687;
        boolean auth = false;
        Path readyFile = null;
        Map<String, String> conf = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                fail("option " + a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--home" -> home = Path.of(v).toAbsolutePath();
                case "--host" -> host = v;
                case "--port" -> port = Integer.parseInt(v);
                case "--auth" -> auth = Boolean.parseBoolean(v);
                case "--ready-file" -> readyFile = Path.of(v).toAbsolutePath();
                case "--conf" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        fail("--conf expects key=value, got '" + v + "'");
                    }
                    conf.put(v.substring(0, eq), v.substring(eq + 1));
                }
                default -> fail("unknown option '" + a + "'");
            }
        }
        if (home == null) {
            fail("--home DIR is required");
        }
        String password = System.getenv(PASSWORD_ENV);
        if (auth && (password == null || password.isEmpty())) {
            fail("authentication is on but " + PASSWORD_ENV + " is not set; refusing a default password");
        }
        if (auth && password.length() < 8) {
            fail(PASSWORD_ENV + " must have at least 8 characters (Neo4j's minimum)");
        }
        if (readyFile != null) {
            Files.deleteIfExists(readyFile);
        }

        Map<String, String> raw = new HashMap<>();
        raw.put("server.bolt.enabled", "true");
        raw.put("server.bolt.listen_address", host + ":" + port);
        raw.put("server.bolt.advertised_address", host + ":" + port);
        raw.put("dbms.security.auth_enabled", Boolean.toString(auth));
        raw.put("server.memory.pagecache.size", "512m");
        // Bolt's Netty loops wait this many quiet seconds before stopping (default 5, twice)
        raw.put("internal.dbms.bolt.netty_server_shutdown_quiet_period", "1");
        raw.putAll(conf);

        Files.createDirectories(home);
        // Settings travel as a neo4j.conf-style file so any key=value of the manual can be passed.
        Path confFile = home.resolve("chain-brain-neo4j.conf");
        StringBuilder confText = new StringBuilder("# written by the chain-brain launcher at each start\n");
        raw.forEach((k, val) -> confText.append(k).append('=').append(val).append('\n'));
        Files.writeString(confFile, confText.toString(), StandardCharsets.UTF_8);
        DatabaseManagementService dbms;
        try {
            dbms = new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(confFile).build();
        } catch (RuntimeException e) {
            System.err.println("chain-brain-neo4j: could not start Neo4j at " + home + ": " + e);
            Throwable c = e.getCause();
            while (c != null) {
                System.err.println("  caused by: " + c);
                c = c.getCause();
            }
            System.exit(1);
            return;
        }

        final DatabaseManagementService service = dbms;
        final Path ready = readyFile;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("chain-brain-neo4j: shutting down");
            try {
                if (ready != null) {
                    Files.deleteIfExists(ready);
                }
            } catch (IOException ignored) {
                // nothing useful left to do while stopping
            }
            service.shutdown();
            System.out.println("chain-brain-neo4j: stopped");
            stopped.countDown();
        }, "chain-brain-neo4j-shutdown"));

        if (auth) {
            setPassword(service, password);
        }
        waitForBolt(host, port, 60_000);

        long pid = ProcessHandle.current().pid();
        String uri = "bolt://" + host + ":" + port;
        if (ready != null) {
            String text = "pid=" + pid + "\nport=" + port + "\nuri=" + uri + "\nauth=" + auth + "\n";
            Path tmp = ready.resolveSibling(ready.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, ready, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        System.out.println("READY " + uri + " pid=" + pid);
        System.out.flush();
        stopped.await();
    }

    private static void setPassword(DatabaseManagementService service, String password) {
        try {
            service.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $p CHANGE NOT REQUIRED", Map.of("p", password));
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            if (!msg.contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }
    }

    private static void waitForBolt(String host, int port, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                return;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    System.err.println("chain-brain-neo4j: Bolt did not accept connections on " + host + ":" + port);
                    System.exit(1);
                }
                Thread.sleep(100);
            }
        }
    }

    private static void fail(String message) {
        System.err.println("chain-brain-neo4j: " + message);
        System.exit(2);
    }
}
