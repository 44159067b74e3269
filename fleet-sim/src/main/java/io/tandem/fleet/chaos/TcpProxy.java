package io.tandem.fleet.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP relay on 127.0.0.1 between devices and their broker that can cut the network: {@link #cut()} closes
 * every connection and refuses new ones until {@link #restore()}, as a device losing its uplink would see.
 */
final class TcpProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket> open = new ArrayList<>();
    private volatile boolean cut;
    private volatile boolean closed;

    TcpProxy(int targetPort) {
        this.targetPort = targetPort;
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread accept = new Thread(this::accept, "proxy-" + server.getLocalPort());
        accept.setDaemon(true);
        accept.start();
    }

    /** The port devices connect to. */
    int port() {
        return server.getLocalPort();
    }

    /** Drops every connection and refuses new ones. */
    synchronized void cut() {
        cut = true;
        open.forEach(TcpProxy::closeQuietly);
        open.clear();
    }

    /** Lets connections through again. */
    synchronized void restore() {
        cut = false;
    }

    private void accept() {
        while (!closed) {
            Socket device;
            try {
                device = server.accept();
            } catch (IOException e) {
                return;
            }
            synchronized (this) {
                if (cut) {
                    closeQuietly(device);
                    continue;
                }
                try {
                    Socket broker = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    open.add(device);
                    open.add(broker);
                    relay(device, broker);
                    relay(broker, device);
                } catch (IOException e) {
                    closeQuietly(device);
                }
            }
        }
    }

    private void relay(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the connection ended or was cut
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                synchronized (TcpProxy.this) {
                    open.remove(from);
                    open.remove(to);
                }
            }
        }, "relay");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        cut();
        try {
            server.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
