/*
 * A NATS client written in C (Debian's libnats-dev, the official nats.c), speaking the wire of
 * docs/nats-wire.md from the side that is not spark-channel. spec/nats/c-client.spec.ts builds it
 * with gcc and drives it; it parses no JSON (libnats has none): it prints what arrives, and the
 * spec reads it. Three modes:
 *
 *   wire-client request URL SUBJECT PAYLOAD [WIRE]   a request; prints "reply wire=<v> <data>"
 *   wire-client publish URL SUBJECT PAYLOAD [WIRE]   a command (or an event): no reply
 *   wire-client serve   URL SUBJECT QUEUE            answers like a served module until stdin closes
 *
 * WIRE is the Spark-Channel-Wire header's value ("1" by default; "-" sends no header). In serve
 * mode each message prints "got request|command wire=<v> <payload>", and a request is answered by
 * what its payload holds: "fail" a plain error with a code and a property, "busy" a
 * SparkChannelError, "future" a reply marked wire version 2, anything else {"ok":true,...}.
 */
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIRE_HEADER "Spark-Channel-Wire"

/* The message's wire version as it came: its header's value, or "-" when it has none. */
static const char *wire_of(natsMsg *msg) {
  const char *value = NULL;
  if (natsMsgHeader_Get(msg, WIRE_HEADER, &value) != NATS_OK || value == NULL) return "-";
  return value;
}

/* A message on SUBJECT (with REPLY when not NULL) carrying DATA and the wire header WIRE. */
static natsStatus make_msg(natsMsg **msg, const char *subject, const char *reply, const char *data,
                           const char *wire) {
  natsStatus s = natsMsg_Create(msg, subject, reply, data, (int)strlen(data));
  if (s == NATS_OK && strcmp(wire, "-") != 0) s = natsMsgHeader_Set(*msg, WIRE_HEADER, wire);
  return s;
}

/* The answer to a request, chosen by a substring of its payload: enough JSON for a test. */
static const char *answer_for(const char *payload, char *buffer, size_t size, const char **wire) {
  *wire = "1";
  if (strstr(payload, "\"type\":\"fail\"") != NULL)
    return "{\"ok\":false,\"error\":{\"name\":\"InventoryError\",\"message\":\"out of stock\","
           "\"code\":\"E_STOCK\",\"sku\":\"apple\"}}";
  if (strstr(payload, "\"type\":\"busy\"") != NULL)
    return "{\"ok\":false,\"error\":{\"name\":\"SparkChannelError\",\"message\":\"the C member is "
           "busy\",\"code\":\"CHANNEL_FULL\"}}";
  if (strstr(payload, "\"type\":\"future\"") != NULL) {
    *wire = "2";
    return "{\"ok\":true,\"value\":\"from a later wire\"}";
  }
  /* The request's own JSON, embedded as it came: the payload is a JSON value already. */
  snprintf(buffer, size, "{\"ok\":true,\"value\":{\"member\":\"c\",\"echo\":%s}}", payload);
  return buffer;
}

static void on_message(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
  (void)sub;
  (void)closure;
  const char *payload = natsMsg_GetData(msg); /* libnats terminates the payload with a NUL */
  const char *reply = natsMsg_GetReply(msg);
  int is_request = reply != NULL && reply[0] != '\0';
  printf("got %s wire=%s %s\n", is_request ? "request" : "command", wire_of(msg),
         payload == NULL ? "" : payload);
  fflush(stdout);
  if (is_request) {
    char buffer[4096];
    const char *wire;
    const char *answer = answer_for(payload == NULL ? "" : payload, buffer, sizeof buffer, &wire);
    natsMsg *out = NULL;
    natsStatus s = make_msg(&out, reply, NULL, answer, wire);
    if (s == NATS_OK) s = natsConnection_PublishMsg(nc, out);
    if (s != NATS_OK) fprintf(stderr, "wire-client: could not answer: %s\n", natsStatus_GetText(s));
    natsMsg_Destroy(out);
  }
  natsMsg_Destroy(msg);
}

static int serve(natsConnection *nc, const char *subject, const char *queue) {
  natsSubscription *sub = NULL;
  natsStatus s = natsConnection_QueueSubscribe(&sub, nc, subject, queue, on_message, NULL);
  if (s == NATS_OK) s = natsConnection_Flush(nc); /* the server has the subscription */
  if (s != NATS_OK) {
    fprintf(stderr, "wire-client: could not subscribe: %s\n", natsStatus_GetText(s));
    return 2;
  }
  printf("ready\n");
  fflush(stdout);
  /* Until the spec closes stdin (or dies, which closes it too): no process left behind. */
  while (getchar() != EOF) {
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  return 0;
}

static int request(natsConnection *nc, const char *subject, const char *payload, const char *wire) {
  natsMsg *msg = NULL;
  natsMsg *reply = NULL;
  natsStatus s = make_msg(&msg, subject, NULL, payload, wire);
  if (s == NATS_OK) s = natsConnection_RequestMsg(&reply, nc, msg, 5000);
  natsMsg_Destroy(msg);
  if (s != NATS_OK) {
    printf("error %s\n", natsStatus_GetText(s));
    return 2;
  }
  printf("reply wire=%s %.*s\n", wire_of(reply), natsMsg_GetDataLength(reply), natsMsg_GetData(reply));
  natsMsg_Destroy(reply);
  return 0;
}

static int publish(natsConnection *nc, const char *subject, const char *payload, const char *wire) {
  natsMsg *msg = NULL;
  natsStatus s = make_msg(&msg, subject, NULL, payload, wire);
  if (s == NATS_OK) s = natsConnection_PublishMsg(nc, msg);
  if (s == NATS_OK) s = natsConnection_Flush(nc); /* the server has it before we exit */
  natsMsg_Destroy(msg);
  if (s != NATS_OK) {
    printf("error %s\n", natsStatus_GetText(s));
    return 2;
  }
  printf("published\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s request|publish|serve URL SUBJECT PAYLOAD|QUEUE [WIRE]\n", argv[0]);
    return 64;
  }
  const char *mode = argv[1];
  const char *wire = argc > 5 ? argv[5] : "1";
  natsConnection *nc = NULL;
  natsStatus s = natsConnection_ConnectTo(&nc, argv[2]);
  if (s != NATS_OK) {
    fprintf(stderr, "wire-client: could not connect to %s: %s\n", argv[2], natsStatus_GetText(s));
    return 2;
  }
  int code = 64;
  if (strcmp(mode, "serve") == 0) code = serve(nc, argv[3], argv[4]);
  else if (strcmp(mode, "request") == 0) code = request(nc, argv[3], argv[4], wire);
  else if (strcmp(mode, "publish") == 0) code = publish(nc, argv[3], argv[4], wire);
  else fprintf(stderr, "wire-client: unknown mode %s\n", mode);
  fflush(stdout);
  natsConnection_Destroy(nc);
  nats_Close();
  return code;
}
