// Labels in English and Chinese, chosen by the browser's language (navigator.languages).
// Values from the store (reasons, product names, signal names) are shown as stored.

const EN = {
  title: 'Agent',
  signInTitle: 'Sign in',
  signInHelp: 'An API key or JWT with the agent role. It is kept for this tab only.',
  credential: 'API key or JWT',
  signIn: 'Sign in',
  signOut: 'Sign out',
  refused: 'The key or token was not accepted.',
  searchLabel: 'Find the caller',
  searchHint: 'Phone, name (汉字 or pinyin), email or customer ID — Enter to search, / to come back here',
  search: 'Search',
  searching: 'Searching…',
  noMatch: 'No customer matches “{text}”.',
  pickTitle: '{n} customers match — pick one',
  matchedOn: 'Matched on',
  name: 'Name',
  phone: 'Phone',
  email: 'Email',
  city: 'City',
  tier: 'Tier',
  monthlyValue: 'Monthly value',
  monthlyValueAll: 'Total monthly value, all product lines',
  linesHeld: '{held} of {all} product lines',
  lifetimeValue: 'Lifetime value',
  customerSince: 'Customer since',
  status: 'Status',
  household: 'Household',
  householdValue: 'Household monthly value',
  noHousehold: 'Not in a household.',
  role: 'Household role',
  openComplaints: 'Open complaints',
  noOpenComplaints: 'No open complaints.',
  resolve: 'Resolve',
  resolved: 'Resolved',
  resolvedState: 'resolved',
  churnRisk: 'Churn risk',
  lapsed: 'lapsed',
  noSignals: 'No risk signals.',
  notScored: 'Not scored.',
  nextBestOffer: 'Next best offer',
  noOffer: 'Nothing to offer.',
  why: 'Why',
  consentOnPhone: 'Consent on this channel (phone)',
  allowed: 'allowed',
  notAllowed: 'not allowed — discuss only if the caller asks',
  consents: 'Consents',
  noConsents: 'No consents on record.',
  granted: 'granted',
  withdrawn: 'withdrawn',
  notGiven: 'not given',
  holdings: 'Products held',
  timeline: 'Recent touchpoints',
  noTouchpoints: 'No touchpoints.',
  sources: 'Known to',
  related: 'Related customers',
  neighborhood: 'Neighborhood',
  neighborhoodHint: 'Click a person to open them; Enter on the list below does the same.',
  recordTitle: 'Record this call',
  kind: 'Kind',
  reason: 'Reason',
  outcome: 'Outcome',
  resolution: 'Resolution',
  open: 'open',
  save: 'Record call',
  saving: 'Recording…',
  saved: 'Call recorded.',
  notSaved: 'Not recorded: {why}',
  live: 'live',
  reconnecting: 'reconnecting…',
  liveRefused: 'live updates refused',
  changed: 'Updated just now: {change}',
  notAvailable: 'not available for your role',
  error: 'Something went wrong: {why}',
  perMonth: '/mo',
  members: 'members',
  you: 'this caller',
  kinds: {
    inquiry: 'inquiry',
    complaint: 'complaint',
    service_request: 'service request',
    sales_call: 'sales call',
  },
};

const ZH = {
  title: '坐席',
  signInTitle: '登录',
  signInHelp: '具有坐席（agent）角色的 API 密钥或 JWT，仅在本标签页内保存。',
  credential: 'API 密钥或 JWT',
  signIn: '登录',
  signOut: '退出',
  refused: '密钥或令牌未被接受。',
  searchLabel: '查找来电客户',
  searchHint: '电话、姓名（汉字或拼音）、邮箱或客户编号 — 回车搜索，按 / 返回此处',
  search: '搜索',
  searching: '正在搜索…',
  noMatch: '没有客户匹配“{text}”。',
  pickTitle: '{n} 位客户匹配 — 请选择',
  matchedOn: '匹配字段',
  name: '姓名',
  phone: '电话',
  email: '邮箱',
  city: '城市',
  tier: '等级',
  monthlyValue: '月价值',
  monthlyValueAll: '所有产品线月价值合计',
  linesHeld: '持有 {held}/{all} 条产品线',
  lifetimeValue: '生命周期价值',
  customerSince: '客户起始',
  status: '状态',
  household: '家庭',
  householdValue: '家庭月价值',
  noHousehold: '不属于任何家庭。',
  role: '家庭角色',
  openComplaints: '未解决投诉',
  noOpenComplaints: '没有未解决的投诉。',
  resolve: '解决',
  resolved: '已解决',
  resolvedState: '已解决',
  churnRisk: '流失风险',
  lapsed: '已流失',
  noSignals: '没有风险信号。',
  notScored: '尚未评分。',
  nextBestOffer: '最佳推荐',
  noOffer: '暂无推荐。',
  why: '原因',
  consentOnPhone: '本渠道（电话）的营销许可',
  allowed: '允许',
  notAllowed: '不允许 — 仅在客户询问时介绍',
  consents: '许可',
  noConsents: '没有许可记录。',
  granted: '已授权',
  withdrawn: '已撤回',
  notGiven: '未授权',
  holdings: '持有产品',
  timeline: '最近接触',
  noTouchpoints: '没有接触记录。',
  sources: '来源系统',
  related: '关联客户',
  neighborhood: '关系图',
  neighborhoodHint: '点击人物打开其资料；在下方列表中按回车效果相同。',
  recordTitle: '记录本次通话',
  kind: '类型',
  reason: '原因',
  outcome: '结果',
  resolution: '处理状态',
  open: '未解决',
  save: '记录通话',
  saving: '正在记录…',
  saved: '通话已记录。',
  notSaved: '未记录：{why}',
  live: '实时',
  reconnecting: '正在重连…',
  liveRefused: '实时更新被拒绝',
  changed: '刚刚更新：{change}',
  notAvailable: '您的角色无权查看',
  error: '出错了：{why}',
  perMonth: '/月',
  members: '成员',
  you: '来电客户',
  kinds: {
    inquiry: '咨询',
    complaint: '投诉',
    service_request: '服务请求',
    sales_call: '销售电话',
  },
};

function pick() {
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const language of wanted) {
    const base = String(language).toLowerCase().split('-')[0];
    if (base === 'zh') return 'zh';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export const language = pick();
const labels = language === 'zh' ? ZH : EN;
export const locale = language === 'zh' ? 'zh-CN' : 'en-US';

// A label, with {name} placeholders filled from values.
export function t(key, values = {}) {
  const text = labels[key] ?? EN[key] ?? key;
  return String(text).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
}

export function kindLabel(kind) {
  return labels.kinds[kind] || EN.kinds[kind] || kind;
}

const money = new Intl.NumberFormat(locale, { maximumFractionDigits: 2, minimumFractionDigits: 2 });

export function formatMoney(value) {
  return value === null || value === undefined ? '—' : money.format(value);
}

export function formatDate(text) {
  if (!text) return '—';
  const when = new Date(text);
  if (Number.isNaN(when.getTime())) return text;
  return when.toLocaleDateString(locale, { year: 'numeric', month: 'short', day: 'numeric' });
}

// A day as YYYY-MM-DD: short, the same in every language, for lists of dated events.
export function formatDay(text) {
  return text ? String(text).slice(0, 10) : '—';
}
