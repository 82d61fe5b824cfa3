/** Ranges from the modem manual (`AT+MQTT*` defined values). */
export const CLIENT_IDS = 2;
export const USERNAME_MAX = 128;
export const PASSWORD_MAX = 128;
export const CLIENT_ID_STRING_MAX = 23;
export const HOST_MAX = 255;
export const PORT_MIN = 1;
export const PORT_MAX = 65535;
export const KEEPALIVE_MIN = 1;
export const KEEPALIVE_MAX = 300;
export const TOPIC_MIN = 1;
export const TOPIC_MAX = 255;
export const QOS_MAX = 2;
export const PAYLOAD_MAX = 1024;
export const APN_MAX = 63;
/**
 * Longest payload sent in the quoted form of a publish or will. A longer one goes in the length
 * form even when printable: a quoted 1024-byte payload makes a command line over 1 KB, beyond
 * what many firmware line buffers take, while the length form has the modem count the bytes.
 */
export const QUOTED_PAYLOAD_MAX = 256;
