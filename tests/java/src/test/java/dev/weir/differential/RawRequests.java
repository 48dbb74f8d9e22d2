package dev.weir.differential;

import dev.weir.harness.Broker;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * One request on a fresh connection, encoded and decoded with kafka-clients' own request
 * classes, for what the Java clients refuse to send (acks=2) or answer for the broker
 * (partition 99 of a one-partition topic): the broker's own error code is then observed.
 * Versions are fixed by the caller and must lie in both brokers' ranges (docs/PROTOCOL.md).
 */
final class RawRequests {
    private static final int TIMEOUT_MS = 10_000;

    private RawRequests() {}

    static AbstractResponse send(Broker broker, AbstractRequest.Builder<?> builder, short version)
            throws IOException {
        String[] hostPort = broker.bootstrap().split(",")[0].split(":");
        AbstractRequest request = builder.build(version);
        RequestHeader header = new RequestHeader(request.apiKey(), version, "differential", 1);
        ByteBuffer frame = request.serializeWithHeader(header);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])),
                    TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS);
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(frame.remaining());
            out.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] response = new byte[in.readInt()];
            in.readFully(response);
            return AbstractResponse.parseResponse(ByteBuffer.wrap(response), header);
        }
    }
}
