import type { Queued } from "./recorder.ts";

/** A conversation: the commands the host queues and the bytes the modem answers with. */
export interface Transcript {
  name: string;
  commands: Queued[];
  modem: string;
  /** What the engine must report, in order. */
  events: string[];
}

const crlf = (...lines: string[]): string => lines.map((l) => `\r\n${l}\r\n`).join("");

/** The manual's usage example (section 3), command by command, with echo off. */
export const specExample: Transcript = {
  name: "spec usage example",
  commands: [
    { line: "AT+COPS?", response: "+COPS" },
    { line: "AT+MIPCALL=1", response: "+MIPCALL" },
    { line: "AT+MQTTOPEN?", response: "+MQTTOPEN", accept: /^(\d)(,\d)?$/ },
    { line: 'AT+MQTTUSER=1,"username","passwd","ClientIDStr"', response: "+MQTTUSER" },
    { line: 'AT+MQTTOPEN=1,"MQTT BrokerServer",1883,0,80', response: "+MQTTOPEN", accept: /^\((\d,?)+\)/ },
    { line: 'AT+MQTTSUB=1,"topic1",0', response: "+MQTTSUB", accept: /^\(/ },
    { line: 'AT+MQTTPUB=1,"topic1",1,0,"9"', response: "+MQTTPUB", accept: /^\(/ },
    { line: 'AT+MQTTUNSUB=1,"topic1"', response: "+MQTTUNSUB", accept: /^\(/ },
    { line: 'AT+MQTTWILL=1,"topic1",1,1,"Tell you, I\'m dead."', response: "+MQTTWILL" },
    { line: "AT+MQTTCLOSE=1", response: "+MQTTCLOSE", accept: /^\(/ },
  ],
  modem:
    crlf('+COPS: 0,0,"CHN-UNICOM",7', "OK") +
    crlf("OK", "+MIPCALL: 10.2.83.148") +
    crlf("+MQTTOPEN: 1,2", "OK") +
    crlf("OK") +
    crlf("OK", "+MQTTOPEN: 1,1") +
    crlf("OK", "+MQTTSUB: 1,1", '+MQTTMSG: 1,0,"topic1","Test"') +
    crlf("OK", "+MQTTPUB: 1,1") +
    crlf("OK", "+MQTTUNSUB: 1,1") +
    crlf("OK") +
    crlf("OK", "+MQTTCLOSE: 1,1") +
    crlf("+MQTTBREAK: 1,1", "+MQTTCLOSE: 1,1"),
  events: [
    'response 1 +COPS 0,0,"CHN-UNICOM",7',
    "final 1 OK",
    "final 2 OK",
    "urc +MIPCALL 10.2.83.148",
    "response 3 +MQTTOPEN 1,2",
    "final 3 OK",
    "final 4 OK",
    "final 5 OK",
    "urc +MQTTOPEN 1,1",
    "final 6 OK",
    "urc +MQTTSUB 1,1",
    'urc +MQTTMSG 1,0,"topic1","Test"',
    "final 7 OK",
    "urc +MQTTPUB 1,1",
    "final 8 OK",
    "urc +MQTTUNSUB 1,1",
    "final 9 OK",
    "final 10 OK",
    "urc +MQTTCLOSE 1,1",
    "urc +MQTTBREAK 1,1",
    "urc +MQTTCLOSE 1,1",
  ],
};

/** Echo on (after power-up): every command comes back before its answer, ending in CR only. */
export const echoOn: Transcript = {
  name: "echo on",
  commands: [{ line: "AT" }, { line: "ATE0" }, { line: "AT+CPIN?", response: "+CPIN" }],
  modem: "AT\r" + crlf("OK") + "ATE0\r" + crlf("OK") + crlf("+CPIN: READY", "OK"),
  events: ["final 1 OK", "final 2 OK", "response 3 +CPIN READY", "final 3 OK"],
};

/** Length-bound reads: payloads with CR, LF, quotes, commas, NUL and high bytes. */
export const mqttRead: Transcript = {
  name: "+MQTTREAD payloads read by length",
  commands: [
    { line: "AT+MQTTREAD=1", response: "+MQTTREAD" },
    { line: "AT+MQTTREAD=2", response: "+MQTTREAD" },
    { line: "AT+MQTTREAD=1", response: "+MQTTREAD" },
  ],
  modem:
    '\r\n+MQTTREAD: 1,1,6,12,"topic1","ab\r\n"cd,\x00\xffxy"\r\n\r\nOK\r\n' +
    '\r\n+MQTTREAD: 2,0,1,3\r\n"t","OK\n"\r\n\r\nOK\r\n' +
    crlf("+MQTTREAD: 1,0,0,0", "OK"),
  events: [
    "record 1,1,6,12",
    `message "topic1" ${Buffer.from('ab\r\n"cd,\x00\xffxy', "latin1").toString("hex")}`,
    "final 1 OK",
    "record 2,0,1,3",
    `message "t" ${Buffer.from("OK\n", "latin1").toString("hex")}`,
    "final 2 OK",
    "record 1,0,0,0",
    "record none",
    "final 3 OK",
  ],
};

/** Errors of every form, and unsolicited lines arriving while commands wait. */
export const errorsAndInterleaving: Transcript = {
  name: "error forms and URCs during pending commands",
  commands: [
    { line: 'AT+MQTTOPEN=1,"h",1883,0,80', response: "+MQTTOPEN" },
    { line: "AT+MQTTOPEN?", response: "+MQTTOPEN", accept: /^\d(,\d)?$/ },
    { line: "AT+CPIN?", response: "+CPIN" },
    { line: "AT+CSQ", response: "+CSQ" },
    { line: "AT+MQTTSUB=?", response: "+MQTTSUB", accept: /^\(/ },
  ],
  modem:
    crlf("ERROR: 703") +
    crlf("+MQTTMSGI: 1,1,6,200", "+MQTTOPEN: 1,2", "+MQTTBREAK: 2,2", "OK") +
    crlf("+CME ERROR: 10") +
    crlf("+CSQ: 20,99", "RDY", "ERROR") +
    crlf("+MQTTSUB: 1,1", "+MQTTSUB: (1,2),255,(0-2)", "OK"),
  events: [
    "final 1 ERROR 703",
    "urc +MQTTMSGI 1,1,6,200",
    "response 2 +MQTTOPEN 1,2",
    "urc +MQTTBREAK 2,2",
    "final 2 OK",
    "final 3 +CME ERROR 10",
    "response 4 +CSQ 20,99",
    "urc RDY RDY",
    "final 4 ERROR",
    "urc +MQTTSUB 1,1",
    "response 5 +MQTTSUB (1,2),255,(0-2)",
    "final 5 OK",
  ],
};

/** The length form: `>` with no line end, then exactly the payload, then the result. */
export const promptData: Transcript = {
  name: "publish in length form",
  commands: [
    { line: 'AT+MQTTPUB=1,"t",1,0,5', response: "+MQTTPUB", data: new Uint8Array([0x22, 0x0d, 0x0a, 0x1a, 0xff]) },
    { line: 'AT+MQTTWILL=1,"w",1,0,2', response: "+MQTTWILL", data: new Uint8Array([0x3e, 0x3e]) },
  ],
  modem: "\r\n> " + crlf("OK", "+MQTTPUB: 1,1") + "\r\n>" + crlf("OK"),
  events: ["final 1 OK", "urc +MQTTPUB 1,1", "final 2 OK"],
};

export const transcripts: Transcript[] = [specExample, echoOn, mqttRead, errorsAndInterleaving, promptData];
