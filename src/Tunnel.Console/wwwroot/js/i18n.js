// The console speaks Simplified Chinese by default; ?lang=en (or the toggle) switches and is remembered.
const dict = {
  zh: {
    'app.title': '隧道滞留监测', 'wall.title': '值班墙', 'maint.title': '运维', 'reports.title': '报表',
    'login.title': '登录', 'login.user': '用户名', 'login.password': '密码', 'login.submit': '登录',
    'login.invalid': '用户名或密码错误', 'login.locked': '登录失败次数过多，账号已锁定至 {until}', 'login.denied': '您的角色无权访问该页面',
    'login.error': '登录失败：{msg}', 'logout': '退出', 'lang.toggle': 'English',
    'nav.wall': '值班墙', 'nav.maint': '运维', 'nav.reports': '报表',
    'conn.live': '实时', 'conn.down': '连接中断，正在重连…',
    'sound.enable': '启用报警声音', 'sound.mute': '本机静音（不确认报警）', 'sound.unmute': '恢复本机声音',
    'sound.muted': '本浏览器已静音；报警仍需确认', 'speech.unavailable': '服务器未安装 espeak-ng：无语音播报，提示音照常',
    'alarms.title': '当前报警', 'alarms.none': '无报警', 'bores.title': '隧道', 'bore.occupancy': '洞内车辆',
    'bore.entries': '驶入', 'bore.exits': '驶出', 'bore.congested': '拥堵', 'bore.usual': '通常通行 {s} 秒',
    'col.plate': '车牌', 'col.class': '车型', 'col.lane': '车道', 'col.entered': '驶入时间', 'col.inside': '洞内时长 / 预期',
    'plate.unread': '未识别', 'hazmat': '危', 'hazmat.title': '危险品车辆', 'probably.left': '可能已驶出',
    'act.ack': '确认', 'act.shelve': '搁置', 'act.note': '备注', 'act.history': '历史', 'act.send': '提交', 'act.cancel': '取消',
    'shelve.reason': '搁置原因', 'shelve.minutes': '分钟', 'note.text': '备注内容', 'act.failed': '操作失败：{msg}',
    'alarm.lane': '{n} 车道', 'alarm.elapsed': '已 {m} 分钟', 'alarm.raised': '报警于 {t}', 'alarm.by': '{by}',
    'kind.overdue': '车辆超时滞留', 'kind.congestion': '隧道拥堵', 'kind.agent-offline': '相机离线',
    'state.active-unacknowledged': '未确认', 'state.active-acknowledged': '已确认', 'state.cleared-unacknowledged': '已恢复·未确认',
    'state.shelved': '已搁置', 'state.closed': '已关闭',
    'prio.critical': '紧急', 'prio.high': '高', 'prio.medium': '中', 'prio.low': '低',
    'class.car': '小客车', 'class.van': '面包车', 'class.bus': '客车', 'class.truck': '货车', 'class.motorcycle': '摩托车', 'class.unknown': '未知',
    'bore.north': '北洞', 'bore.south': '南洞', 'masked': '车牌已遮蔽（无车牌查看权限）',
    'agents.title': '边缘设备状态', 'agents.none': '尚无设备上报', 'agent.id': '设备', 'agent.where': '位置', 'agent.status': '状态',
    'agent.online': '在线', 'agent.offline': '离线', 'agent.stale': '无心跳', 'agent.heartbeat': '最后心跳', 'agent.fps': '帧率',
    'agent.queue': '待发队列', 'agent.offset': '时钟偏差 (ms)', 'agent.error': '最近错误',
    'dead.title': '死信（被拒绝的消息）', 'dead.none': '无', 'dead.at': '接收时间', 'dead.topic': '主题', 'dead.agent': '设备',
    'dead.reason': '原因', 'dead.payload': '内容（文本）',
    'report.hourly': '近 24 小时每小时驶入车辆（按隧道与车型）', 'report.csv': '下载 CSV', 'report.empty': '近 24 小时无通行记录',
    'loading': '加载中…',
  },
  en: {
    'app.title': 'Tunnel retention monitor', 'wall.title': 'Operator wall', 'maint.title': 'Maintenance', 'reports.title': 'Reports',
    'login.title': 'Log in', 'login.user': 'User name', 'login.password': 'Password', 'login.submit': 'Log in',
    'login.invalid': 'Wrong user name or password', 'login.locked': 'Too many failed logins; locked until {until}', 'login.denied': 'Your role may not open that page',
    'login.error': 'Login failed: {msg}', 'logout': 'Log out', 'lang.toggle': '中文',
    'nav.wall': 'Wall', 'nav.maint': 'Maintenance', 'nav.reports': 'Reports',
    'conn.live': 'live', 'conn.down': 'connection lost, reconnecting…',
    'sound.enable': 'Enable alarm sound', 'sound.mute': 'Mute this browser (does not acknowledge)', 'sound.unmute': 'Unmute this browser',
    'sound.muted': 'This browser is muted; alarms still need acknowledging', 'speech.unavailable': 'espeak-ng is not installed on the server: no spoken plates, tones still sound',
    'alarms.title': 'Active alarms', 'alarms.none': 'No alarms', 'bores.title': 'Bores', 'bore.occupancy': 'Inside',
    'bore.entries': 'In', 'bore.exits': 'Out', 'bore.congested': 'Congested', 'bore.usual': 'usual transit {s} s',
    'col.plate': 'Plate', 'col.class': 'Class', 'col.lane': 'Lane', 'col.entered': 'Entered', 'col.inside': 'Inside / expected',
    'plate.unread': 'unread', 'hazmat': 'HAZ', 'hazmat.title': 'Hazardous goods', 'probably.left': 'probably left',
    'act.ack': 'Acknowledge', 'act.shelve': 'Shelve', 'act.note': 'Note', 'act.history': 'History', 'act.send': 'Submit', 'act.cancel': 'Cancel',
    'shelve.reason': 'Reason', 'shelve.minutes': 'minutes', 'note.text': 'Note', 'act.failed': 'Action failed: {msg}',
    'alarm.lane': 'lane {n}', 'alarm.elapsed': '{m} min', 'alarm.raised': 'raised {t}', 'alarm.by': '{by}',
    'kind.overdue': 'Vehicle overdue', 'kind.congestion': 'Congestion', 'kind.agent-offline': 'Camera offline',
    'state.active-unacknowledged': 'unacknowledged', 'state.active-acknowledged': 'acknowledged', 'state.cleared-unacknowledged': 'cleared, unacknowledged',
    'state.shelved': 'shelved', 'state.closed': 'closed',
    'prio.critical': 'critical', 'prio.high': 'high', 'prio.medium': 'medium', 'prio.low': 'low',
    'class.car': 'car', 'class.van': 'van', 'class.bus': 'bus', 'class.truck': 'truck', 'class.motorcycle': 'motorcycle', 'class.unknown': 'unknown',
    'bore.north': 'North bore', 'bore.south': 'South bore', 'masked': 'Plates masked (no plate grant)',
    'agents.title': 'Edge agents', 'agents.none': 'No agent has reported yet', 'agent.id': 'Agent', 'agent.where': 'Where', 'agent.status': 'Status',
    'agent.online': 'online', 'agent.offline': 'offline', 'agent.stale': 'silent', 'agent.heartbeat': 'Last heartbeat', 'agent.fps': 'fps',
    'agent.queue': 'Outbox', 'agent.offset': 'Clock offset (ms)', 'agent.error': 'Last error',
    'dead.title': 'Dead letters (rejected messages)', 'dead.none': 'None', 'dead.at': 'Received', 'dead.topic': 'Topic', 'dead.agent': 'Agent',
    'dead.reason': 'Reason', 'dead.payload': 'Payload (text)',
    'report.hourly': 'Vehicles entering per hour, last 24 h, by bore and class', 'report.csv': 'Download CSV', 'report.empty': 'No passages in the last 24 hours',
    'loading': 'Loading…',
  },
};

export function lang() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'en' || asked === 'zh') localStorage.setItem('tunnel.lang', asked);
  return localStorage.getItem('tunnel.lang') === 'en' ? 'en' : 'zh';
}

export function t(key, vars = {}) {
  const text = dict[lang()][key] ?? dict.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** Fills every [data-i18n] element's text (never markup) and [data-i18n-placeholder] placeholders. */
export function applyStatic(root = document) {
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
}

export function toggleLang() {
  localStorage.setItem('tunnel.lang', lang() === 'en' ? 'zh' : 'en');
  const url = new URL(location.href);
  url.searchParams.delete('lang');
  location.replace(url);
}
