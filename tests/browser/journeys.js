// Hearth's main journeys in a real browser (Debian's headless Chromium), once with JavaScript
// switched off, and an axe-core scan (WCAG 2.2 A/AA and best practice) of every page visited.
// Run by scripts/test against a demo server: HEARTH_URL=http://127.0.0.1:PORT node journeys.js
const { chromium } = require('playwright-core');
const fs = require('fs');

const base = process.env.HEARTH_URL;
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const DOMAIN = 'demo.hearth.example';
const PASSWORD = 'demo-only-password';
const failures = [];
let scanned = 0;

function check(cond, what) {
  if (!cond) failures.push(what);
}

async function scan(page, name) {
  // Hearth's CSP forbids injected script; the scanning context bypasses it, the product does not.
  await page.evaluate(axeSource);
  const r = await page.evaluate(() =>
    axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }));
  scanned += 1;
  for (const v of r.violations) {
    failures.push(`${name}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(' | ')}`);
  }
}

async function signIn(page, who, password = PASSWORD) {
  await page.goto(base + '/login');
  await page.fill('#email', `${who}@${DOMAIN}`);
  await page.fill('#password', password);
  await page.click('main button[type=submit]');
}

// WCAG 1.4.10: nothing on the page may make it scroll sideways at a phone's width.
async function noSidewaysScroll(page, name) {
  const { scroll, view } = await page.evaluate(() =>
    ({ scroll: document.documentElement.scrollWidth, view: document.documentElement.clientWidth }));
  check(scroll <= view, `${name}: the page scrolls sideways (${scroll}px wide in a ${view}px window)`);
}

// WCAG 2.4.11: tabbing backwards through the public form, no focused field may be hidden under
// the sticky quick-exit bar.
async function focusNeverUnderQuickExit(page, label) {
  await page.goto(base + '/refer');
  await page.focus('main form button[type=submit]');
  for (let i = 0; i < 45; i++) {
    await page.keyboard.press('Shift+Tab');
    const hidden = await page.evaluate(() => {
      const el = document.activeElement;
      const bar = document.querySelector('.quick-exit-bar');
      if (!el || !bar || bar.contains(el) || el === document.body) return null;
      const b = bar.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return r.top < b.bottom - 1 && r.bottom > b.top ? (el.id || el.name || el.tagName) : null;
    });
    check(hidden === null, `${label}: ${hidden} is hidden under the quick-exit bar`);
  }
}

// One date style: an ISO date (2026-11-23) never shows to a user, in the text or in a field.
async function noIsoDates(page, name) {
  const found = await page.evaluate(() => {
    const iso = /\b\d{4}-\d{2}-\d{2}\b/;
    const text = (document.querySelector('main') || document.body).innerText;
    const m = text.match(iso);
    if (m) return m[0];
    for (const i of document.querySelectorAll('input:not([type=hidden]), textarea')) {
      if (iso.test(i.value)) return `${i.id}=${i.value}`;
    }
    return null;
  });
  check(found === null, `${name}: an ISO date shows (${found})`);
}

async function journeys(browser, { javaScript, width }) {
  const label = `${javaScript ? 'with' : 'without'} JavaScript, ${width}px`;
  const scanIf = async (page, name) => {
    await noIsoDates(page, `${name} (${label})`);
    if (width <= 400) await noSidewaysScroll(page, `${name} (${width}px)`);
    if (javaScript) await scan(page, `${name} (${width}px)`);
  };
  const signOut = async (page) => page.click('header form[action="/logout"] button[type=submit]');
  const ctx = await browser.newContext({ javaScriptEnabled: javaScript, bypassCSP: javaScript, viewport: { width, height: 900 } });
  const page = await ctx.newPage();

  // A mistyped password: a clear message on the page, the email kept.
  await signIn(page, 'idva', 'not the password');
  check((await page.textContent('.error-summary')).includes('The email address or password is not right'), `${label}: sign-in error shown`);
  check((await page.inputValue('#email')) === `idva@${DOMAIN}`, `${label}: typed email kept`);
  await scanIf(page, 'sign-in with error');

  // An Idva's day: caseload, a case, a person.
  await signIn(page, 'idva');
  check(page.url() === base + '/', `${label}: Idva lands on the caseload (got ${page.url()})`);
  check((await page.textContent('h1')) === 'Your cases', `${label}: home opens with her cases`);
  check((await page.getAttribute('nav a[href="/"]', 'aria-current')) === 'page', `${label}: the nav marks home`);
  await scanIf(page, 'caseload');
  await page.click('#caseload a');
  check(page.url().includes('/cases/'), `${label}: case opens`);
  check((await page.textContent('main')).includes('Victim/survivor'), `${label}: case shows roles`);
  await scanIf(page, 'case');
  await page.click('#people a');
  check(page.url().includes('/people/'), `${label}: person opens`);
  await scanIf(page, 'person');
  await page.click('text=Change details');
  await scanIf(page, 'change person details');
  await page.goBack();
  // She searches for someone on her caseload.
  await page.goBack();
  const caseUrl = page.url();
  // From the header, on any page: one page load to the results.
  const surname = (await page.textContent('#people a')).trim().split(' ').pop();
  await page.fill('#header-q', surname);
  await Promise.all([page.waitForNavigation(), page.press('#header-q', 'Enter')]);
  check((await page.textContent('main')).includes('found'), `${label}: header search finds someone`);
  check((await page.textContent('main')).includes('Victim/survivor'), `${label}: results show each person's part`);
  await scanIf(page, 'search');
  await page.goto(base + '/break-glass');
  await scanIf(page, 'break-glass');
  await page.goto(caseUrl);

  // She records a note from the case page.
  await page.click('text=Add a note, contact or event');
  await scanIf(page, 'add to timeline');
  const note = `Browser note ${label}`;
  await page.fill('#body', note);
  await page.click('main button[type=submit]');
  check((await page.textContent('main')).includes(note), `${label}: note shows on the timeline`);

  // Her phone is marked not safe: a call to her then asks why it was safe, and keeps the reason.
  const victimPath = await page.$$eval('#people tr', rows =>
    rows.filter(r => r.textContent.includes('Victim/survivor')).map(r => r.querySelector('a').getAttribute('href'))[0]);
  await page.goto(base + victimPath + '/contact');
  await page.check('#phone_safety-not_safe');
  await page.click('main button[type=submit]');
  await page.goto(caseUrl);
  check(((await page.textContent('#at-a-glance')) || '').includes('Not safe: Phone call'), `${label}: safe contact at the top of the case page`);
  await page.click('#main-actions >> text=Record a contact');
  check(await page.isChecked('#kind-contact'), `${label}: "Record a contact" opens a contact`);
  check(await page.isVisible('#contact_method'), `${label}: the contact fields are revealed for a contact`);
  check((await page.textContent('#safe-contact')).includes('Not safe'), `${label}: safe contact in view on the contact form`);
  await page.check('#kind');
  check(!(await page.isVisible('#contact_method')), `${label}: and hidden for a note (CSS, no script)`);
  await page.check('#kind-contact');
  await page.selectOption('#person_id', victimPath.split('/').pop());
  await page.selectOption('#contact_method', 'phone');
  await page.selectOption('#contact_outcome', 'spoke');
  await page.fill('#body', `Phoned her ${label}`);
  await page.click('main button[type=submit]');
  check(((await page.textContent('.error-summary')) || '').includes('not safe'), `${label}: an unsafe channel asks for confirmation`);
  check((await page.inputValue('#body')) === `Phoned her ${label}`, `${label}: the typed note is kept`);
  await scanIf(page, 'contact needing a reason');
  await page.fill('#safe_contact_reason', 'She rang from a friend\'s phone and asked us to call back');
  await page.click('main button[type=submit]');
  check((await page.textContent('main')).includes('Contact recorded'), `${label}: contact saved with a banner`);
  await page.goto(base + victimPath + '/contact');
  await page.check('#phone_safety-safe');
  await page.click('main button[type=submit]');
  // The case opens with her at a glance and the family's first weeks, each with its status.
  await page.goto(caseUrl);
  const glance = (await page.textContent('#at-a-glance')) || '';
  check(glance.includes('Last contact:') && glance.includes('Risk:'), `${label}: each person at a glance`);
  const tasks = await page.$$eval('.task-list__item', items => items.map(i => i.textContent.replace(/\s+/g, ' ')));
  check(tasks.some(t => t.includes('Risk assessment')) && tasks.some(t => t.includes('Safety plan')) && tasks.some(t => t.includes('MARAC')),
    `${label}: the first weeks list risk assessment, safety plan and MARAC`);
  check(tasks.every(t => /Completed|In progress|Not yet started|Overdue|Not needed/.test(t)), `${label}: every task has a status`);

  // She assesses the victim's risk: first forgetting to confirm it is safe to talk.
  await page.goto(caseUrl);
  await page.click('main a[href$="/risk"]');
  check((await page.textContent('h1')).length > 0 && page.url().endsWith('/risk'), `${label}: risk page opens`);
  await scanIf(page, 'risk');
  await page.click('main a[href*="/risk/new"]');
  await scanIf(page, 'risk checklist');
  await page.click('main form button[type=submit]');
  check((await page.textContent('.error-summary')).includes('safe to talk'), `${label}: checklist asks for safe to talk`);
  await scanIf(page, 'risk checklist with errors');
  await page.check('#safe_to_talk');
  for (const radio of await page.$$('fieldset.question input[type=radio][id^="q_"]')) await radio.check();
  await page.click('main form button[type=submit]');
  const risk = await page.textContent('main');
  check(risk.includes('High risk') && risk.includes('MARAC referral proposed'), `${label}: high risk proposes MARAC`);
  await page.click('text=Make the MARAC referral');
  check((await page.textContent('h1')).includes('MARAC'), `${label}: MARAC referral form opens`);
  await scanIf(page, 'MARAC referral form');
  await page.goBack();
  await page.click('main a[href$="/safety-plan"]');
  await scanIf(page, 'safety plan');
  await page.goto(page.url() + '/edit');
  await scanIf(page, 'safety plan edit');
  // A review date in the past is refused, with what she typed kept.
  await page.fill('#safe_word', 'Bluebell');
  await page.fill('#review_on', '1/1/2020');
  await page.click('main form button[type=submit]');
  check((await page.textContent('.error-summary')).length > 0, `${label}: past review date refused`);
  check((await page.inputValue('#safe_word')) === 'Bluebell', `${label}: typed safe word kept`);
  await scanIf(page, 'safety plan edit with errors');
  const review = new Date(Date.now() + 28 * 24 * 3600 * 1000);
  await page.fill('#review_on', `${review.getDate()}/${review.getMonth() + 1}/${review.getFullYear()}`);
  await page.click('main form button[type=submit]');
  check((await page.textContent('main')).includes('Bluebell'), `${label}: safety plan saved`);
  const planUrl = page.url().split('?')[0].split('#')[0];
  // Reviewing it again: the date comes back as typed, and saving as it stands works first time.
  await page.goto(planUrl + '/edit');
  check(/^\d{2}\/\d{2}\/\d{4}$/.test(await page.inputValue('#review_on')), `${label}: review date prefilled as DD/MM/YYYY`);
  await page.click('main form button[type=submit]');
  check((await page.textContent('main')).includes('Safety plan saved'), `${label}: a review saves the first time`);
  await page.goto(planUrl + '/print');
  const printed = await page.textContent('body');
  check(printed.includes('Bluebell') && !printed.includes('Hearth') && !printed.includes('Demo Service'), `${label}: printable plan names nothing`);
  await scanIf(page, 'safety plan print');
  await page.goto(base + '/');
  await signOut(page);
  check(page.url().endsWith('/login?ended=out'), `${label}: signed out`);

  // The Engage practitioner opens families' cases and sees no disclosure and no victim address.
  await signIn(page, 'engage');
  const links = await page.$$eval('#caseload a', as => as.map(a => a.getAttribute('href')));
  check(links.length > 0, `${label}: Engage has a caseload`);
  for (const href of links.slice(0, 5)) {
    await page.goto(base + href);
    const text = await page.textContent('main');
    check(!text.includes('Disclosed'), `${label}: Engage sees a disclosure on ${href}`);
    const victim = await page.$$eval('#people tr', rows =>
      rows.filter(r => r.textContent.includes('Victim/survivor')).map(r => r.querySelector('a').getAttribute('href')));
    await page.goto(base + victim[0]);
    const person = await page.textContent('main');
    check(person.includes("You cannot see this person's contact details."), `${label}: victim contact withheld on ${victim[0]}`);
    check(!person.includes('07700') && !/NS\d \d[A-Z]{2}/.test(person), `${label}: victim location shown on ${victim[0]}`);
  }
  await scanIf(page, 'person, contact withheld');
  await signOut(page);

  // A manager sees who viewed a case, and the team's caseloads.
  await signIn(page, 'idva.manager');
  check((await page.textContent('h1')) === 'Your team', `${label}: a manager's home shows her team`);
  await scanIf(page, 'manager home');
  await page.goto(base + '/team');
  check((await page.textContent('h1')) === 'Team workload', `${label}: team workload opens`);
  await scanIf(page, 'team workload');
  await page.click('main table a[href^="/cases?worker="]');
  check((await page.textContent('h1')).startsWith('Cases allocated to'), `${label}: a worker's caseload opens from the team list`);
  await scanIf(page, "a worker's caseload");
  await page.goto(base + '/cases');
  await scanIf(page, 'team cases');
  // As MARAC coordinator: the dashboard, a meeting, a referral with its actions.
  await page.goto(base + '/marac');
  check((await page.textContent('main')).includes('Repeat rate'), `${label}: MARAC dashboard opens`);
  await scanIf(page, 'MARAC');
  const meeting = await page.$$eval('main h3 + ul li', lis => {
    const li = lis.find(l => !/– 0 cases/.test(l.textContent));
    return li ? li.querySelector('a').getAttribute('href') : null;
  });
  check(meeting !== null, `${label}: a past MARAC meeting that heard cases`);
  await page.goto(base + meeting);
  check((await page.textContent('h1')).includes('Meeting on'), `${label}: MARAC meeting opens`);
  await scanIf(page, 'MARAC meeting');
  await page.click('main a[href^="/marac/referrals/"]');
  check((await page.textContent('main')).includes('Actions'), `${label}: MARAC referral shows actions`);
  await scanIf(page, 'MARAC referral');
  await page.goto(base + '/cases');
  await page.click('main table a');
  await page.click('text=Who has viewed or changed this case');
  check((await page.textContent('h1')).includes('Who has viewed'), `${label}: record history opens`);
  await scanIf(page, 'record history');
  await signOut(page);

  // Programmes: places against demand, a waiting list in order, and proposing support.
  await signIn(page, 'idva.manager');
  await page.goto(base + '/programmes');
  check((await page.textContent('h1')) === 'Programmes', `${label}: programmes open`);
  await scanIf(page, 'programmes');
  await page.click('main a[href="/programmes/recovery/waiting"]');
  check((await page.textContent('h1')).includes('Waiting list'), `${label}: a waiting list opens`);
  check((await page.textContent('main')).includes('days, since'), `${label}: the list says how long each has waited`);
  await scanIf(page, 'waiting list');
  await page.click('main button:has-text("Down")');
  check((await page.textContent('main')).includes('Waiting list reordered'), `${label}: the list is reordered`);
  await page.goto(base + '/cases');
  await page.click('main table a');
  await page.click('#plan ~ p a:has-text("Propose support")');
  check((await page.textContent('h1')) === 'Propose support', `${label}: propose support opens`);
  await scanIf(page, 'propose support');
  await signOut(page);

  // A children's worker plans and records a session from the family's plan.
  await signIn(page, 'children');
  const hers = await page.$$eval('#caseload a', as => as.map(a => a.getAttribute('href')));
  let enrolment = null;
  for (const href of hers) {
    await page.goto(base + href);
    enrolment = await page.$$eval('table.plan a[href^="/enrolments/"]', as =>
      (as.find(a => a.textContent.includes('Active')) || { getAttribute: () => null }).getAttribute('href'));
    if (enrolment) break;
  }
  check(enrolment !== null, `${label}: a child on 1:1 work in her caseload`);
  await scanIf(page, 'case with the family plan');
  await page.goto(base + enrolment);
  check((await page.textContent('main')).includes('Sessions'), `${label}: the enrolment opens with its sessions`);
  await scanIf(page, 'enrolment');
  // Planned earlier today, so it can be recorded now.
  const today = new Date();
  await page.fill('#date', `${today.getDate()}/${today.getMonth() + 1}/${today.getFullYear()}`);
  await page.fill('#time', '00:01');
  await page.fill('#place', 'School, the quiet room');
  await page.click('form[action$="/sessions"] button[type=submit]');
  check((await page.textContent('main')).includes('Session planned'), `${label}: session planned`);
  await page.click('#sessions ~ div table a:has-text("00:01") >> nth=-1');
  check((await page.textContent('h1')).startsWith('Session with'), `${label}: the session opens`);
  await scanIf(page, 'session');
  // Attended, without its length: refused, with what was typed kept.
  await page.check('#outcome');
  await page.fill('#note', `Session note ${label}`);
  await page.click('main form button[type=submit]');
  check(((await page.textContent('.error-summary')) || '').includes('how long'), `${label}: the length is asked for`);
  check((await page.inputValue('#note')) === `Session note ${label}`, `${label}: the typed note is kept`);
  await scanIf(page, 'session with errors');
  await page.fill('#duration_minutes', '40');
  await page.check('#topics');
  await page.click('main form button[type=submit]');
  check((await page.textContent('main')).includes('Session recorded'), `${label}: session recorded with a banner`);
  await signOut(page);

  // The Engage practitioner sees his client on the plan, and the rest of the family only by name.
  await signIn(page, 'engage');
  for (const href of (await page.$$eval('#caseload a', as => as.map(a => a.getAttribute('href')))).slice(0, 5)) {
    await page.goto(base + href);
    const rows = await page.$$eval('table.plan tbody tr', trs => trs.map(t => t.textContent));
    for (const r of rows.filter(r => r.includes('Victim/survivor') && !r.includes('Person causing harm'))) {
      check(r.includes('Not shown to you'), `${label}: Engage sees a victim's programmes on ${href}`);
    }
  }
  await signOut(page);

  // An administrator adds a member of staff, first with mistakes.
  await signIn(page, 'admin');
  await page.goto(base + '/admin/users/new');
  await scanIf(page, 'add staff');
  await page.fill('#display_name', 'Nia Newstarter');
  await page.click('main button[type=submit]');
  check((await page.textContent('.error-summary')).includes('Enter an email address'), `${label}: add-staff errors`);
  check((await page.inputValue('#display_name')) === 'Nia Newstarter', `${label}: typed name kept`);
  await scanIf(page, 'add staff with errors');
  const email = `nia.${javaScript ? 'js' : 'nojs'}.${width}@${DOMAIN}`;
  await page.fill('#email', email);
  await page.selectOption('#role', 'case_worker');
  await page.click('main button[type=submit]');
  check((await page.textContent('main')).includes('temporary password'), `${label}: account added (${await page.textContent('main')})`);
  await scanIf(page, 'staff account');
  for (const path of ['/admin/users', '/admin/tokens', '/admin/instruments', '/admin/programmes', '/audit', '/account/password']) {
    await page.goto(base + path);
    check(!(await page.textContent('h1')).includes('not found'), `${label}: ${path} opens`);
    await scanIf(page, path);
  }
  await signOut(page);

  // Triage: the queue and a referral with its matches and decisions.
  await signIn(page, 'idva.manager');
  await page.goto(base + '/triage');
  check((await page.textContent('h1')).includes('Triage'), `${label}: triage opens`);
  await scanIf(page, 'triage queue');
  await page.click('main table a');
  check((await page.textContent('main')).includes('Possible matches'), `${label}: referral shows matches`);
  await scanIf(page, 'referral');
  await signOut(page);

  // The public form, as someone asking for help.
  await page.goto(base + '/refer');
  check((await page.textContent('h1')).includes('Ask for support'), `${label}: public form opens`);
  await scanIf(page, 'public referral form');
  await page.fill('#given_name', 'Browser');
  await page.fill('#family_name', 'Person');
  await page.fill('#phone', '07700 900111');
  await page.check('#safe_to_text-safe');
  await page.check('#consent');
  await page.click('main button[type=submit]');
  check((await page.textContent('main')).includes('Request sent'), `${label}: public referral sent`);
  await scanIf(page, 'public referral sent');
  check(!(await page.title()).includes('Browser Person'), `${label}: nothing personal in the title`);
  if (javaScript) await focusNeverUnderQuickExit(page, label);
  if (javaScript) {
    // Quick exit by the Shift key, three times: the page is replaced by a neutral site.
    await page.route('https://www.bbc.co.uk/**', route => route.fulfill({ contentType: 'text/html', body: '<title>Weather</title>' }));
    await page.goto(base + '/refer');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Shift');
    await page.waitForURL('https://www.bbc.co.uk/weather', { timeout: 5000 }).catch(() => {});
    check(page.url().startsWith('https://www.bbc.co.uk/'), `${label}: Shift x3 leaves the page (at ${page.url()})`);
    await page.goto(base + '/refer');
    await page.click('[data-quick-exit]');
    await page.waitForURL('https://www.bbc.co.uk/weather', { timeout: 5000 }).catch(() => {});
    check(page.url().startsWith('https://www.bbc.co.uk/'), `${label}: the button leaves the page`);
  }
  await ctx.close();
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    await journeys(browser, { javaScript: false, width: 1280 });
    await journeys(browser, { javaScript: true, width: 1280 });
    await journeys(browser, { javaScript: true, width: 360 });
    await journeys(browser, { javaScript: false, width: 360 });
  } finally {
    await browser.close();
  }
  if (failures.length) {
    console.error(`Browser checks failed:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`browser: ${scanned} pages scanned with axe-core, journeys passed`);
  console.log(`${scanned} passed, 0 failed`);
})().catch(e => { console.error(e); process.exit(1); });
