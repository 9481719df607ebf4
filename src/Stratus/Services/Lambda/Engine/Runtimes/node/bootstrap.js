// Stratus's Node.js runtime client: the Lambda Runtime API loop for "module.function" handlers.
'use strict';
const http = require('http');
const path = require('path');
const { pathToFileURL } = require('url');
const fs = require('fs');
const util = require('util');

// host:port, as on AWS.
const api = process.env.AWS_LAMBDA_RUNTIME_API;
const colon = api.lastIndexOf(':');
const host = api.slice(0, colon);
const port = Number(api.slice(colon + 1));
const base = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

// ES modules ignore NODE_PATH, yet AWS's runtimes let an ES module handler import the runtime's AWS SDK and a
// layer's packages: a bare specifier the handler's own node_modules lack is looked up, in NODE_PATH's order, in
// each node_modules directory NODE_PATH names (resolved as if imported from beside it). Node 18.19 and 20.6 on.
// Registered only before an ES module handler is imported: the hooks' thread costs every start that registers them.
const esmFallback = `
import { pathToFileURL } from 'node:url';
const parents = (process.env.NODE_PATH || '').split(':').filter(dir => dir.endsWith('/node_modules'))
  .map(dir => pathToFileURL(dir.slice(0, -'node_modules'.length) + 'stratus-esm-parent.mjs').href);
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); }
  catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || /^[./]|^[a-z]+:/i.test(specifier)) throw error;
    for (const parentURL of parents) {
      try { return await next(specifier, { ...context, parentURL }); } catch { }
    }
    throw error;
  }
}`;
function importModule(file) {
  if (typeof require('module').register === 'function')
    require('module').register('data:text/javascript,' + encodeURIComponent(esmFallback));
  return import(pathToFileURL(file).href);
}

// AWS's Node.js runtimes write console's methods in the format LoggingConfig names (AWS_LAMBDA_LOG_FORMAT): Text as
// `timestamp<TAB>requestId<TAB>LEVEL<TAB>message`, JSON as {timestamp, level, requestId, message} records (an Error among the
// arguments adds errorType, errorMessage and stackTrace), where a method more verbose than AWS_LAMBDA_LOG_LEVEL writes nothing.
// console.trace is TRACE, debug DEBUG, log and info INFO, warn WARN, error ERROR. Lines go to stdout, which Stratus reads.
const logLevels = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const jsonLogs = process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON';
const leastLevel = jsonLogs ? Math.max(0, logLevels.indexOf((process.env.AWS_LAMBDA_LOG_LEVEL || 'INFO').toUpperCase())) : 0;
let loggingRequestId;

function writeLog(level, message, errorFields) {
  if (logLevels.indexOf(level) < leastLevel) return;
  const timestamp = new Date().toISOString();
  if (!jsonLogs) {
    process.stdout.write(`${timestamp}\t${loggingRequestId}\t${level}\t${message}\n`);
    return;
  }
  process.stdout.write(JSON.stringify({ timestamp, level, requestId: loggingRequestId, message, ...errorFields }) + '\n');
}

for (const [method, level] of [['trace', 'TRACE'], ['debug', 'DEBUG'], ['log', 'INFO'], ['info', 'INFO'], ['warn', 'WARN'], ['error', 'ERROR']]) {
  console[method] = (...args) => {
    const error = args.find(arg => arg instanceof Error);
    writeLog(level, util.format(...args), error && { errorType: error.name, errorMessage: error.message, stackTrace: (error.stack || '').split('\n') });
  };
}

// A failed invoke's line, as AWS's runtimes log it in each format.
function logInvokeError(document) {
  if (jsonLogs) writeLog('ERROR', 'Invoke Error', { errorType: document.errorType, errorMessage: document.errorMessage, stackTrace: document.trace });
  else writeLog('ERROR', `Invoke Error \t${JSON.stringify(document)}`);
}

function call(method, route, body, headers) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host, port, method, path: base + route, agent, headers: headers || {} }, response => {
      const chunks = [];
      response.on('data', chunk => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

function errorDocument(error, errorType) {
  const isError = error instanceof Error;
  return {
    errorType: errorType || (isError ? error.name : 'Error'),
    errorMessage: isError ? error.message : String(error),
    trace: isError && error.stack ? error.stack.split('\n') : [],
  };
}

function postError(route, document) {
  return call('POST', route, JSON.stringify(document), {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': document.errorType,
  });
}

async function loadHandler() {
  const handler = process.env._HANDLER || '';
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw Object.assign(new Error(`Bad handler ${handler}`), { lambdaType: 'Runtime.MalformedHandlerName' });
  const moduleName = handler.slice(0, dot);
  const functionName = handler.slice(dot + 1);
  const root = process.env.LAMBDA_TASK_ROOT;
  const candidates = ['.js', '.mjs', '.cjs'].map(ext => path.join(root, moduleName + ext));
  const file = candidates.find(f => fs.existsSync(f));
  if (!file) throw Object.assign(new Error(`Cannot find module '${moduleName}'`), { lambdaType: 'Runtime.ImportModuleError', name: 'Runtime.ImportModuleError' });
  let loaded;
  if (file.endsWith('.mjs')) loaded = await importModule(file);
  else {
    try { loaded = require(file); }
    catch (e) {
      // An ES module: Node 20 refuses to require it; Node 22 requires it but resolves its imports without NODE_PATH.
      if (e.code !== 'ERR_REQUIRE_ESM' && e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
      loaded = await importModule(file);
    }
  }
  const fn = loaded[functionName] ?? loaded.default?.[functionName];
  if (typeof fn !== 'function')
    throw Object.assign(new Error(`${moduleName}.${functionName} is undefined or not exported`), { lambdaType: 'Runtime.HandlerNotFound' });
  return fn;
}

// AWS's managed Node.js runtimes give every handler the global `awslambda` for response streaming:
// streamifyResponse marks a handler (event, responseStream, context) whose writes are sent to the Runtime API as they
// are made, and HttpResponseStream.from opens a function URL's response with its status, headers and cookies.
const streamingHandler = Symbol.for('aws.lambda.runtime.handler.streaming');
const httpIntegrationType = 'application/vnd.awslambda.http-integration-response';
globalThis.awslambda = {
  streamifyResponse(handler, options) {
    handler[streamingHandler] = 'response';
    if (options && options.highWaterMark) handler.streamingHighWaterMark = options.highWaterMark;
    return handler;
  },
  HttpResponseStream: {
    // The prelude is JSON (statusCode, headers, cookies) and 8 NUL bytes, before the body, as AWS frames it.
    from(responseStream, prelude) {
      responseStream.setContentType(httpIntegrationType);
      responseStream.write(Buffer.concat([Buffer.from(JSON.stringify(prelude || {})), Buffer.alloc(8)]));
      return responseStream;
    },
  },
};

// The writable a streaming handler writes to: the POST .../response in streaming mode is opened by the first write (so
// setContentType still counts before it) and each write is sent as one chunk at once; an error after the stream opened
// goes in the Lambda-Runtime-Function-Error-Type/-Body trailers (the body base64 of the error document), as AWS's
// runtimes send it.
function responseStreamFor(requestId, highWaterMark) {
  const { Writable } = require('stream');
  let contentType = 'application/octet-stream';
  let request = null;
  let answered = null;
  const open = () => {
    if (request) return request;
    answered = new Promise((resolve, reject) => {
      request = http.request({ host, port, method: 'POST', path: `${base}/invocation/${requestId}/response`, agent, headers: {
        'Content-Type': contentType,
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        'Transfer-Encoding': 'chunked',
        'Trailer': 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
      } }, response => { response.resume(); response.on('end', resolve); response.on('error', reject); });
      request.on('error', reject);
    });
    return request;
  };
  const stream = new Writable({
    highWaterMark,
    write(chunk, encoding, done) { open().write(chunk, done); },
    final(done) { open().end(); done(); },
  });
  stream.setContentType = type => {
    if (request) throw new Error('The content type must be set before the first write.');
    contentType = type;
  };
  return {
    stream,
    get opened() { return request !== null; },
    // The handler finished: what it did not end is ended; the stream is over once the Runtime API answered.
    async finish() {
      if (!stream.writableEnded) stream.end();
      await new Promise(resolve => (stream.writableFinished ? resolve() : stream.on('finish', resolve)));
      await answered;
    },
    async fail(document) {
      // A handler that ended its stream and then failed has answered already: the error only reaches its log.
      if (request.writableEnded) return answered.catch(() => {});
      request.addTrailers({
        'Lambda-Runtime-Function-Error-Type': document.errorType,
        'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(document)).toString('base64'),
      });
      request.end();
      await answered;
    },
  };
}

async function invokeStreaming(fn, event, context, requestId) {
  const response = responseStreamFor(requestId, fn.streamingHighWaterMark);
  try {
    await fn(event, response.stream, context);
    await response.finish();
  } catch (e) {
    const document = errorDocument(e);
    logInvokeError(document);
    // Nothing sent yet: the error is the whole answer, as for any handler.
    if (!response.opened) await postError(`/invocation/${requestId}/error`, document);
    else await response.fail(document);
  }
}

function invoke(fn, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (error, result) => (error ? reject(error) : resolve(result));
    try {
      const returned = fn(event, context, callback);
      if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
      else if (fn.length < 3) resolve(returned);
    } catch (e) {
      reject(e);
    }
  });
}

async function main() {
  let fn;
  try {
    fn = await loadHandler();
  } catch (e) {
    await postError('/init/error', errorDocument(e, e.lambdaType));
    process.exit(1);
  }
  for (;;) {
    const next = await call('GET', '/invocation/next');
    const requestId = loggingRequestId = next.headers['lambda-runtime-aws-request-id'];
    const deadline = Number(next.headers['lambda-runtime-deadline-ms'] || 0);
    const clientContext = next.headers['lambda-runtime-client-context'];
    process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'] || '';
    const context = {
      awsRequestId: requestId,
      invokedFunctionArn: next.headers['lambda-runtime-invoked-function-arn'],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: clientContext ? JSON.parse(clientContext) : undefined,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    if (fn[streamingHandler] === 'response') {
      let event;
      try {
        event = next.body.length ? JSON.parse(next.body.toString('utf8')) : null;
      } catch (e) {
        await postError(`/invocation/${requestId}/error`, errorDocument(e));
        continue;
      }
      await invokeStreaming(fn, event, context, requestId);
      continue;
    }
    try {
      const event = next.body.length ? JSON.parse(next.body.toString('utf8')) : null;
      const result = await invoke(fn, event, context);
      await call('POST', `/invocation/${requestId}/response`, JSON.stringify(result === undefined ? null : result), { 'Content-Type': 'application/json' });
    } catch (e) {
      const document = errorDocument(e);
      logInvokeError(document);
      await postError(`/invocation/${requestId}/error`, document);
    }
  }
}

main();
