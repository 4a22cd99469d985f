// A stand-in for the `electron` module, for tests of main/ and preload/ under plain Node (the Electron
// binary cannot run here). It does what the code under test relies on — events, handler registries,
// preventable events, the quit sequence — and records everything so tests can inspect it.
//
// Wire it in a test file with:
//   vi.mock('electron', async () => (await import('../helpers/fake-electron.ts')).electronModule);
// The objects keep their identity across tests (main's modules import them once); resetFakeElectron()
// clears their state.

import { EventEmitter } from 'node:events';

type Listener = (...args: any[]) => unknown;

/** A preventable event, as Electron passes to will-navigate, will-quit… */
export class FakeEvent {
  defaultPrevented = false;
  readonly url: string;
  constructor(url = '') {
    this.url = url;
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeFrame {
  url: string;
  parent: FakeFrame | null;
  constructor(url: string, parent: FakeFrame | null = null) {
    this.url = url;
    this.parent = parent;
  }
}

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly mainFrame: FakeFrame;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  destroyed = false;
  constructor(url = '') {
    super();
    this.mainFrame = new FakeFrame(url);
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push({ channel, args });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = handler;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getURL(): string {
    return this.mainFrame.url;
  }
  reloads = 0;
  reload(): void {
    this.reloads += 1;
  }
  crashes = 0;
  /** Electron ends the renderer; its render-process-gone ('killed') follows. */
  forcefullyCrashRenderer(): void {
    this.crashes += 1;
    this.emit('render-process-gone', {}, { reason: 'killed', exitCode: 9 });
  }
  /** Runs the listeners of a preventable event the way Electron would; says whether it was prevented. */
  dispatchPreventable(eventName: string, url: string): boolean {
    const event = new FakeEvent(url);
    this.emit(eventName, event, url);
    return event.defaultPrevented;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  readonly options: Record<string, any>;
  loadedUrl: string | null = null;
  visible = false;
  minimized = false;
  focusCount = 0;
  destroyed = false;
  constructor(options: Record<string, any> = {}) {
    super();
    this.options = options;
    state.windows.push(this);
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.webContents.mainFrame.url = url;
    this.emit('ready-to-show');
  }
  show(): void {
    this.visible = true;
  }
  isVisible(): boolean {
    return this.visible;
  }
  focus(): void {
    this.focusCount += 1;
  }
  minimize(): void {
    this.minimized = true;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.minimized = false;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  close(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
    if (state.windows.every((w) => w.destroyed)) app.emit('window-all-closed');
  }
  static getAllWindows(): FakeBrowserWindow[] {
    return state.windows.filter((w) => !w.destroyed);
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false;
  userDataDir = '';
  singleInstanceLock = true;
  quitCalls = 0;
  quitted = false;
  exitCode: number | null = null;
  sandboxEnabled = false;
  appUserModelId: string | null = null;
  /** Electron answers the packaged app's version (package.json's when run from a checkout). */
  getVersion(): string {
    return '0.1.0';
  }

  getPath(name: string): string {
    if (name !== 'userData') throw new Error(`fake electron: getPath(${name}) not supported`);
    if (!this.userDataDir) throw new Error('fake electron: set app.userDataDir first');
    return this.userDataDir;
  }
  requestSingleInstanceLock(): boolean {
    return this.singleInstanceLock;
  }
  whenReady(): Promise<void> {
    protocol.ready = true;
    return Promise.resolve();
  }
  enableSandbox(): void {
    this.sandboxEnabled = true;
  }
  setAppUserModelId(id: string): void {
    this.appUserModelId = id;
  }
  /** Electron's order: before-quit, then will-quit; either can be prevented. */
  quit(): void {
    this.quitCalls += 1;
    const before = new FakeEvent();
    this.emit('before-quit', before);
    if (before.defaultPrevented) return;
    const will = new FakeEvent();
    this.emit('will-quit', will);
    if (will.defaultPrevented) return;
    this.quitted = true;
    this.emit('quit');
  }
  exit(code = 0): void {
    this.exitCode = code;
  }
}

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, handler: Listener): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** What the renderer's invoke would get back, with the event main would see. */
  async invoke(channel: string, event: FakeInvokeEvent, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, ...args);
  }
}

export interface FakeInvokeEvent {
  sender: FakeWebContents;
  senderFrame: FakeFrame | null;
  frameId: number;
  processId: number;
}

/** The event main receives for a call from `frame` (by default the top frame) of `contents`. */
export function invokeEventFrom(contents: FakeWebContents, frame: FakeFrame | null = contents.mainFrame): FakeInvokeEvent {
  return { sender: contents, senderFrame: frame, frameId: 1, processId: 1 };
}

class FakeMenu {
  readonly template: any[];
  constructor(template: any[]) {
    this.template = template;
  }
  static buildFromTemplate(template: any[]): FakeMenu {
    return new FakeMenu(template);
  }
  static setApplicationMenu(menu: FakeMenu | null): void {
    state.applicationMenus.push(menu);
  }
}

class FakeSession {
  permissionRequestHandler: Listener | null = null;
  permissionCheckHandler: Listener | null = null;
  devicePermissionHandler: Listener | null = null;
  displayMediaRequestHandler: Listener | null = null;
  headersReceivedListener: Listener | null = null;
  /** What resolveProxy answers (PAC form), and every URL it was asked about. */
  proxyRules = 'DIRECT';
  readonly proxyQuestions: string[] = [];
  resolveProxy(url: string): Promise<string> {
    this.proxyQuestions.push(url);
    return Promise.resolve(this.proxyRules);
  }
  readonly webRequest = {
    onHeadersReceived: (listener: Listener) => {
      this.headersReceivedListener = listener;
    },
  };
  setPermissionRequestHandler(handler: Listener | null): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: Listener | null): void {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(handler: Listener | null): void {
    this.devicePermissionHandler = handler;
  }
  setDisplayMediaRequestHandler(handler: Listener | null): void {
    this.displayMediaRequestHandler = handler;
  }
  reset(): void {
    this.permissionRequestHandler = null;
    this.permissionCheckHandler = null;
    this.devicePermissionHandler = null;
    this.displayMediaRequestHandler = null;
    this.headersReceivedListener = null;
    this.proxyRules = 'DIRECT';
    this.proxyQuestions.length = 0;
  }
}

/**
 * Electron's `protocol` module: schemes registered as privileged (allowed only before ready, as in
 * Electron) and the handlers given to protocol.handle, which a test calls with a Request.
 */
class FakeProtocol {
  readonly privileged: { scheme: string; privileges: Record<string, boolean> }[] = [];
  readonly handlers = new Map<string, (request: Request) => Response | Promise<Response>>();
  ready = false;
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void {
    if (this.ready) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
    this.privileged.push(...schemes);
  }
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void {
    if (this.handlers.has(scheme)) throw new Error(`The scheme ${scheme} is already handled`);
    this.handlers.set(scheme, handler);
  }
  unhandle(scheme: string): void {
    this.handlers.delete(scheme);
  }
  isProtocolHandled(scheme: string): boolean {
    return this.handlers.has(scheme);
  }
  /** What the page's request for `url` gets back. */
  async fetch(url: string, init?: RequestInit): Promise<Response> {
    const scheme = url.slice(0, url.indexOf(':'));
    const handler = this.handlers.get(scheme);
    if (!handler) throw new Error(`net::ERR_UNKNOWN_URL_SCHEME (${scheme})`);
    return handler(new Request(url, init));
  }
  reset(): void {
    this.privileged.length = 0;
    this.handlers.clear();
    this.ready = false;
  }
}

class FakeIpcRenderer extends EventEmitter {
  readonly invocations: { channel: string; args: unknown[] }[] = [];
  reply: (channel: string, args: unknown[]) => unknown = () => ({ ok: true, value: null });
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invocations.push({ channel, args });
    return this.reply(channel, args);
  }
  /** What main's webContents.send(channel, payload) looks like from the preload. */
  deliver(channel: string, payload: unknown): void {
    this.emit(channel, { sender: this, senderId: 0, ports: [] }, payload);
  }
}

const state = {
  /** What net.isOnline() answers. */
  online: true,
  windows: [] as FakeBrowserWindow[],
  applicationMenus: [] as (FakeMenu | null)[],
  exposed: new Map<string, unknown>(),
  errorBoxes: [] as { title: string; content: string }[],
  /** System notifications shown (Electron's Notification). */
  notifications: [] as { title: string; body: string; silent?: boolean }[],
  /** URLs handed to shell.openExternal, in order. */
  openedExternally: [] as string[],
  /** What the next save/open dialogs answer (the agent's choice), first in first out; none: cancelled. */
  dialogAnswers: [] as ({ filePath: string } | { filePaths: string[] } | { response: number })[],
  /** Every save/open/message dialog shown, with its options. */
  dialogs: [] as { kind: 'save' | 'open' | 'message'; options: Record<string, any> }[],
  /** Options of every crashReporter.start(). */
  crashReporterStarts: [] as Record<string, any>[],
};

function answerDialog<T>(kind: 'save' | 'open' | 'message', options: Record<string, any>, cancelled: T): Promise<T> {
  state.dialogs.push({ kind, options });
  const answer = state.dialogAnswers.shift();
  if (!answer) return Promise.resolve(cancelled);
  return Promise.resolve({ ...cancelled, canceled: false, ...answer } as T);
}

export const app = new FakeApp();
export const ipcMain = new FakeIpcMain();
export const ipcRenderer = new FakeIpcRenderer();
export const defaultSession = new FakeSession();
export const powerMonitor = new EventEmitter();
export const protocol = new FakeProtocol();

export const electronModule = {
  app,
  ipcMain,
  ipcRenderer,
  BrowserWindow: FakeBrowserWindow,
  Menu: FakeMenu,
  session: { defaultSession },
  protocol,
  net: { isOnline: () => state.online },
  powerMonitor,
  shell: {
    openExternal: async (url: string) => {
      state.openedExternally.push(url);
    },
  },
  dialog: {
    showErrorBox: (title: string, content: string) => state.errorBoxes.push({ title, content }),
    showSaveDialog: (_window: unknown, options: Record<string, any>) => answerDialog('save', options, { canceled: true, filePath: '' }),
    showOpenDialog: (_window: unknown, options: Record<string, any>) => answerDialog('open', options, { canceled: true, filePaths: [] as string[] }),
    // Electron's two forms: (window, options) and (options).
    showMessageBox: (first: unknown, second?: Record<string, any>) => {
      const options = (second ?? first) as Record<string, any>;
      return answerDialog('message', options, { response: options.cancelId ?? 0, checkboxChecked: false });
    },
  },
  crashReporter: {
    start: (options: Record<string, any>) => {
      state.crashReporterStarts.push(options);
    },
  },
  Notification: class {
    private readonly notice: { title: string; body: string; silent?: boolean };
    constructor(notice: { title: string; body: string; silent?: boolean }) {
      this.notice = { title: notice.title, body: notice.body, ...(notice.silent !== undefined ? { silent: notice.silent } : {}) };
    }
    show(): void {
      state.notifications.push(this.notice);
    }
  },
  safeStorage: {
    isEncryptionAvailable: () => false,
    encryptString: (text: string) => Buffer.from(text, 'utf8'),
    decryptString: (data: Buffer) => data.toString('utf8'),
  },
  // Electron's own answer for a File the page got from a file input: the path on disk it came from
  // (the fake reads it from a `fakePath` property the test sets).
  webUtils: {
    getPathForFile: (file: { fakePath?: string }) => file.fakePath ?? '',
  },
  contextBridge: {
    exposeInMainWorld: (key: string, api: unknown) => {
      if (state.exposed.has(key)) throw new Error(`Cannot bind an API on top of an existing property: ${key}`);
      state.exposed.set(key, api);
    },
  },
};

export const fake = {
  state,
  app,
  ipcMain,
  ipcRenderer,
  session: defaultSession,
  powerMonitor,
  protocol,
  /** The last application menu's template. */
  menuTemplate(): any[] {
    const menu = state.applicationMenus.at(-1);
    if (!menu) throw new Error('no application menu was set');
    return menu.template;
  },
};

export function resetFakeElectron(): void {
  state.online = true;
  powerMonitor.removeAllListeners();
  state.windows.length = 0;
  state.applicationMenus.length = 0;
  state.exposed.clear();
  state.errorBoxes.length = 0;
  state.notifications.length = 0;
  state.openedExternally.length = 0;
  state.dialogAnswers.length = 0;
  state.dialogs.length = 0;
  state.crashReporterStarts.length = 0;
  app.removeAllListeners();
  Object.assign(app, {
    isPackaged: false,
    userDataDir: '',
    singleInstanceLock: true,
    quitCalls: 0,
    quitted: false,
    exitCode: null,
    sandboxEnabled: false,
    appUserModelId: null,
  });
  ipcMain.handlers.clear();
  ipcMain.removeAllListeners();
  ipcRenderer.removeAllListeners();
  ipcRenderer.invocations.length = 0;
  ipcRenderer.reply = () => ({ ok: true, value: null });
  defaultSession.reset();
  protocol.reset();
}
