package smoke;

import dev.signalrrest.HubClient;
import dev.signalrrest.ReceivedMessage;
import dev.signalrrest.ServiceClient;
import dev.signalrrest.Simulator;
import dev.signalrrest.VirtualClient;
import java.util.List;

/** The Java face of the installed jar: blocking calls against the simulator. */
public final class JavaSmoke {
    public static void main(String[] args) {
        try (Simulator simulator = Simulator.startBlocking();
             VirtualClient browser = simulator.connect("chat");
             ServiceClient service = ServiceClient.fromConnectionString(simulator.getConnectionString());
             HubClient chat = service.hub("chat")) {
            chat.sendToAllBlocking("newMessage", "[{\"text\":\"hi\"}]");
            List<ReceivedMessage> received = browser.received();
            if (received.size() != 1 || !received.get(0).getTarget().equals("newMessage")
                || !received.get(0).getArgumentsJson().equals("[{\"text\":\"hi\"}]")) {
                throw new AssertionError("received " + received);
            }
        }
        System.out.println("java smoke ok");
    }
}
