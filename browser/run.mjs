// Browser tests: Debian's Chromium, driven by playwright-core, visits every page as every
// demo role, performs each page's main action, and runs axe-core on every state it sees.
// Expects a running Samenspel with the demo region: SAMENSPEL_URL and SAMENSPEL_DEMO_PASSWORD.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const base = process.env.SAMENSPEL_URL;
const password = process.env.SAMENSPEL_DEMO_PASSWORD;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base || !password) {
  console.error('SAMENSPEL_URL and SAMENSPEL_DEMO_PASSWORD must be set');
  process.exit(2);
}
const region = '/regios/haaglanden';
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const failures = [];
let audited = 0;

function fail(message) {
  failures.push(message);
  console.error(`FOUT: ${message}`);
}

async function audit(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  }, TAGS);
  audited += 1;
  for (const v of result) {
    fail(`${label}: axe ${v.id} (${v.impact}) ${v.help} op ${v.nodes.join(', ')}`);
  }
}

async function visit(page, path, label, expectedStatus = 200) {
  const response = await page.goto(base + path);
  const status = response ? response.status() : 0;
  if (status !== expectedStatus) {
    fail(`${label}: GET ${path} gaf ${status}, verwacht ${expectedStatus}`);
  }
  const lang = await page.getAttribute('html', 'lang');
  if (lang !== 'nl') fail(`${label}: ${path} heeft lang=${lang}`);
  const h1 = await page.locator('h1').count();
  if (h1 !== 1) fail(`${label}: ${path} heeft ${h1} h1-koppen`);
  await audit(page, `${label} ${path}`);
}

async function login(context, login) {
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/.test(msg.text())) {
      fail(`${login}: CSP blokkeerde iets: ${msg.text()}`);
    }
  });
  await page.goto(base + '/inloggen');
  await page.getByLabel('Gebruikersnaam').fill(login);
  await page.getByLabel('Wachtwoord').fill(password);
  await page.getByRole('button', { name: 'Inloggen' }).click();
  await page.waitForLoadState();
  if (page.url().includes('/inloggen')) fail(`${login}: inloggen mislukte`);
  return page;
}

async function expectText(page, text, message) {
  if (!(await page.getByText(text).first().isVisible())) fail(message);
}

async function firstLink(page, pattern) {
  const hrefs = await page.locator('main a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  return hrefs.find((h) => h && pattern.test(h));
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});

try {
  // The check itself must be able to fail: a page with known violations.
  {
    const page = await browser.newPage();
    await page.setContent('<html><body><img src="x.png"><input type="text"></body></html>');
    await page.evaluate(axeSource);
    const found = await page.evaluate(async (tags) => (await window.axe.run(document, { runOnly: { type: 'tag', values: tags } })).violations.length, TAGS);
    if (found < 2) fail(`axe-core vond ${found} fouten op een pagina met bekende fouten`);
    await page.close();
  }

  // Anonymous: the login page, a failed login, an unknown page.
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    await visit(page, '/inloggen', 'anoniem');
    await page.getByLabel('Gebruikersnaam').fill('beheerder');
    await page.getByLabel('Wachtwoord').fill('een verkeerd wachtwoord');
    await page.getByRole('button', { name: 'Inloggen' }).click();
    await page.waitForLoadState();
    if (!(await page.getByText('De gebruikersnaam of het wachtwoord klopt niet.').isVisible())) fail('anoniem: geen foutmelding bij verkeerd wachtwoord');
    if ((await page.getByLabel('Gebruikersnaam').inputValue()) !== 'beheerder') fail('anoniem: ingetypte gebruikersnaam kwijt');
    await audit(page, 'anoniem mislukte login');
    await visit(page, '/bestaat-niet', 'anoniem', 404);
    await page.goto(base + region);
    if (!page.url().includes('/inloggen?terug=')) fail('anoniem: regio zonder login leidt niet naar inloggen');
    await context.close();
  }

  // The region admin enters the region's risk-sharing agreement in the form and settles the
  // imported year; a mistake first (solidarity above 100) keeps what was typed.
  {
    const context = await browser.newContext();
    const page = await login(context, 'beheerder');
    await visit(page, `${region}/verevening`, 'beheerder');
    await page.getByLabel('Naam van de afspraak').fill('Huidige afspraak');
    await page.getByLabel('Status').selectOption('vastgesteld');
    await page.getByLabel('Geldt vanaf het jaar').fill('2020');
    await page.getByLabel('Pot 1: naam').fill('verblijf');
    await page.getByLabel('Pot 1: solidariteit in procenten').fill('150');
    await page.getByLabel('Pot 1: verdeelsleutel').selectOption('inwoners');
    await page.getByLabel('Pot 1: productcategorieën').fill('43, 46');
    await page.getByLabel("Pot 1: drempel per cliënt in euro's").fill('50.000');
    await page.getByLabel('Pot 2: naam').fill('overig');
    await page.getByLabel('Pot 2: solidariteit in procenten').fill('50');
    await page.getByLabel('Pot 2: verdeelsleutel').selectOption('inwoners');
    await page.getByRole('button', { name: 'Afspraak opslaan' }).click();
    await page.waitForLoadState();
    if (!(await page.getByText('Een percentage ligt tussen 0 en 100.').first().isVisible())) fail('beheerder: solidariteit 150 niet geweigerd');
    if ((await page.getByLabel('Pot 1: naam').inputValue()) !== 'verblijf') fail('beheerder: ingetypte pot kwijt');
    await audit(page, 'beheerder vereveningsafspraak met fouten');
    await page.getByLabel('Pot 1: solidariteit in procenten').fill('100');
    await page.getByRole('button', { name: 'Afspraak opslaan' }).click();
    await page.waitForLoadState();
    if (!(await page.getByText('De afspraak is opgeslagen.').isVisible())) fail('beheerder: afspraak niet opgeslagen');
    await audit(page, 'beheerder afspraak');
    await page.getByRole('link', { name: 'Afrekenen met deze afspraak' }).click();
    await page.waitForLoadState();
    if (!(await page.getByRole('columnheader', { name: 'profijtbeginsel' }).isVisible())) fail('beheerder: afrekening zonder profijtbeginsel');
    if ((await page.locator('svg[role="img"]').count()) < 1) fail('beheerder: afrekening zonder grafiek');
    await audit(page, 'beheerder afrekening');
    await context.close();
  }

  // The region admin sets up the charter: a double majority by inhabitants for the budget, one
  // member one vote for the rest (the form's defaults).
  {
    const context = await browser.newContext();
    const page = await login(context, 'beheerder');
    await visit(page, `${region}/handvest`, 'beheerder');
    await page.getByLabel('Taken: wat regionaal en wat lokaal').fill('regionaal: inkoop jeugdhulp met verblijf\nlokaal: toegang en lokale teams');
    await page.getByLabel('Begroting en budget: weging').selectOption('inwoners');
    await page.getByLabel('Begroting en budget: meerderheid').selectOption('dubbel');
    await page.getByLabel('Opzegtermijn in maanden').fill('12');
    await page.getByRole('button', { name: 'Handvest vastleggen' }).click();
    await page.waitForLoadState();
    if (!(await page.getByText('Controleer het formulier').first().isVisible())) fail('beheerder: handvest zonder uittreedkosten niet geweigerd');
    await audit(page, 'beheerder handvest met fouten');
    await page.getByLabel('Uittreedkosten: hoe ze worden bepaald').fill('aandeel in het regionale team over de opzegtermijn');
    await page.getByLabel('Lopende contracten bij uittreding').fill('lopen door tot hun einddatum');
    await page.getByRole('button', { name: 'Handvest vastleggen' }).click();
    await page.waitForLoadState();
    if (!(await page.getByText('De nieuwe versie van het handvest is vastgelegd.').isVisible())) fail('beheerder: handvest niet vastgelegd');
    if (!(await page.getByText('gewogen naar inwoners; dubbele meerderheid').isVisible())) fail('beheerder: dubbele meerderheid niet te zien');
    await audit(page, 'beheerder handvest');
    await context.close();
  }

  // A proposal runs through consultation, the region's answer and the vote: the region admin,
  // a member's staff and three aldermen in their own browsers; the outcome is explained and the
  // member sees what became of its input.
  {
    // A moment `ms` from now in Dutch time, as a datetime-local field takes it.
    const dutchTime = (ms) => new Date(Date.now() + ms).toLocaleString('sv-SE', { timeZone: 'Europe/Amsterdam' }).replace(' ', 'T');
    const until = async (page, moment) => { const left = moment - Date.now(); if (left > 0) await page.waitForTimeout(left + 1500); };
    const adminContext = await browser.newContext();
    const admin = await login(adminContext, 'beheerder');
    await visit(admin, `${region}/voorstellen`, 'beheerder');
    await admin.getByLabel('Titel').fill('Begroting regionaal team 2027');
    await admin.getByLabel('Tekst van het voorstel').fill('Het regionale team krijgt 2 % meer.\n\nDe verdeling volgt de inwoners.');
    await admin.getByRole('button', { name: 'Concept aanmaken' }).click();
    await admin.waitForLoadState();
    await expectText(admin, 'Kies de soort besluit', 'beheerder: voorstel zonder soort niet geweigerd');
    if ((await admin.getByLabel('Titel').inputValue()) !== 'Begroting regionaal team 2027') fail('beheerder: ingetypte titel kwijt');
    await audit(admin, 'beheerder voorstel met fouten');
    await admin.getByLabel('Soort besluit').selectOption('begroting');
    await admin.getByRole('button', { name: 'Concept aanmaken' }).click();
    await admin.waitForLoadState();
    await expectText(admin, 'Het voorstel is aangemaakt als concept.', 'beheerder: voorstel niet aangemaakt');
    await audit(admin, 'beheerder concept');
    const proposal = new URL(admin.url()).pathname;
    const consultationEnd = Date.now() + 12000;
    await admin.getByLabel('Zienswijzen tot (datum en tijd)').fill(dutchTime(12000));
    await admin.getByRole('button', { name: 'Consultatie openen' }).click();
    await admin.waitForLoadState();
    await expectText(admin, 'De stap is gezet.', 'beheerder: consultatie niet geopend');

    const staffContext = await browser.newContext();
    const staff = await login(staffContext, 'gemeente');
    await visit(staff, proposal, 'gemeente');
    await staff.getByLabel('Uw zienswijze').fill('Midden-Delfland vraagt de groei te beperken tot de loonindex.');
    await staff.getByRole('button', { name: 'Zienswijze indienen' }).click();
    await staff.waitForLoadState();
    await expectText(staff, 'Uw zienswijze is ontvangen.', 'gemeente: zienswijze niet ontvangen');
    await audit(staff, 'gemeente na zienswijze');

    await until(admin, consultationEnd);
    await admin.goto(base + proposal);
    await admin.getByRole('button', { name: 'Consultatie sluiten' }).click();
    await admin.waitForLoadState();
    await admin.getByLabel('Wat de regio ermee doet').selectOption('niet');
    await admin.getByRole('button', { name: 'Reactie opslaan' }).click();
    await admin.waitForLoadState();
    await expectText(admin, 'Leg uit waarom', 'beheerder: reactie zonder reden niet geweigerd');
    await audit(admin, 'beheerder reactie met fouten');
    await admin.getByLabel('Reactie en reden').fill('De loonindex dekt de extra taken niet; die staan in de bijlage.');
    await admin.getByRole('button', { name: 'Reactie opslaan' }).click();
    await admin.waitForLoadState();
    await expectText(admin, 'De reactie op de zienswijze is opgeslagen.', 'beheerder: reactie niet opgeslagen');
    const voteEnd = Date.now() + 30000;
    await admin.getByLabel('Stemmen tot (datum en tijd)').fill(dutchTime(30000));
    await admin.getByRole('button', { name: 'Stemming openen' }).click();
    await admin.waitForLoadState();
    await expectText(admin, 'De stap is gezet.', 'beheerder: stemming niet geopend');
    await audit(admin, 'beheerder stemming open');

    // Staff cannot vote; the aldermen can, and the small member is outvoted.
    if ((await staff.getByLabel('Uw stem').count()) > 0) fail('gemeente: medewerker krijgt een stemformulier');
    for (const [alderman, choice] of [['wethouder-denhaag', 'voor'], ['wethouder-delft', 'voor'], ['wethouder-middendelfland', 'tegen']]) {
      const context = await browser.newContext();
      const page = await login(context, alderman);
      await visit(page, proposal, alderman);
      await page.getByLabel('Uw stem').selectOption(choice);
      await page.getByRole('button', { name: 'Stem uitbrengen' }).click();
      await page.waitForLoadState();
      await expectText(page, 'Uw stem is opgeslagen.', `${alderman}: stem niet opgeslagen`);
      await audit(page, `${alderman} na stemmen`);
      await context.close();
    }
    await until(admin, voteEnd);
    await admin.goto(base + proposal);
    await admin.getByRole('button', { name: 'Stemming sluiten en uitslag vaststellen' }).click();
    await admin.waitForLoadState();
    await expectText(admin, 'Uitslag: Aangenomen', 'beheerder: uitslag niet aangenomen');
    await expectText(admin, 'Dubbele meerderheid', 'beheerder: berekening van de dubbele meerderheid ontbreekt');
    await audit(admin, 'beheerder uitslag');
    await staff.goto(base + proposal);
    await expectText(staff, 'Niet overgenomen', 'gemeente: ziet niet wat er met de zienswijze gebeurde');
    await expectText(staff, 'De loonindex dekt de extra taken niet', 'gemeente: reden ontbreekt');
    await audit(staff, 'gemeente na besluit');
    await visit(staff, `${region}/inspraak`, 'gemeente');
    await visit(admin, `${region}/besluiten`, 'beheerder');
    await expectText(admin, 'Begroting regionaal team 2027', 'beheerder: besluit niet in de besluitenlijst');
    await visit(admin, `${region}/vertegenwoordigers`, 'beheerder');
    await staffContext.close();
    await adminContext.close();
  }

  // Collaboration health: the coach prepares a trust round about the regional team, invites two
  // respondents and opens it; a respondent answers with the keyboard only, first leaving one
  // statement open (refused, answers kept), then completing it.
  {
    const coachContext = await browser.newContext();
    const coach = await login(coachContext, 'coach');
    await visit(coach, `${region}/gezondheid`, 'coach');
    await coach.getByLabel('Titel', { exact: true }).fill('Vertrouwen browser');
    await coach.getByRole('button', { name: 'Meetronde voorbereiden' }).click();
    await coach.waitForLoadState();
    if (!(await coach.getByText('Kies een instrument uit de lijst.').first().isVisible())) fail('coach: meetronde zonder instrument niet geweigerd');
    if ((await coach.getByLabel('Titel', { exact: true }).inputValue()) !== 'Vertrouwen browser') fail('coach: ingetypte titel kwijt');
    await audit(coach, 'coach meetronde met fouten');
    await coach.getByLabel('Instrument', { exact: true }).selectOption('samenspel:vertrouwen');
    await coach.getByLabel('Gemeenten (leden)').uncheck();
    await coach.getByLabel('Aanbieders').uncheck();
    await coach.getByRole('button', { name: 'Meetronde voorbereiden' }).click();
    await coach.waitForLoadState();
    await expectText(coach, 'De meetronde is voorbereid', 'coach: meetronde niet voorbereid');
    await coach.getByLabel('Respondenten, één per regel').fill('gemeente;GM1842;\nregio;;');
    await coach.getByRole('button', { name: 'Links maken' }).click();
    await coach.waitForLoadState();
    const links = await coach.locator('code.samenspel-hash').allTextContents();
    if (links.length !== 2) fail(`coach: ${links.length} links gemaakt, verwacht 2`);
    await audit(coach, 'coach nieuwe links');
    await coach.getByRole('button', { name: 'Meetronde openen' }).click();
    await coach.waitForLoadState();
    await expectText(coach, 'De meetronde is geopend', 'coach: meetronde niet geopend');
    const roundPath = new URL(coach.url()).pathname;

    const respondentContext = await browser.newContext();
    const respondent = await respondentContext.newPage();
    await visit(respondent, links[0], 'respondent');
    await expectText(respondent, 'Wat er met uw antwoorden gebeurt', 'respondent: geen uitleg over de antwoorden');
    const isRadio = () => respondent.evaluate(() => document.activeElement && document.activeElement.type === 'radio');
    for (let i = 0; i < 80 && !(await isRadio()); i++) await respondent.keyboard.press('Tab');
    const questions = await respondent.locator('fieldset.samenspel-likert').count();
    // Every statement but the last: Space takes the first answer, four arrows move to the fifth.
    for (let q = 0; q < questions - 1; q++) {
      await respondent.keyboard.press('Space');
      for (let k = 0; k < 4; k++) await respondent.keyboard.press('ArrowRight');
      await respondent.keyboard.press('Tab');
    }
    // Past the last statement to the open question, then the submit button.
    await respondent.keyboard.press('Tab');
    await respondent.keyboard.type('Vaker samen aan tafel.');
    await respondent.keyboard.press('Tab');
    // A form sent with Enter navigates after the key press returns: wait for it.
    await Promise.all([respondent.waitForNavigation(), respondent.keyboard.press('Enter')]);
    await expectText(respondent, 'Nog niet verstuurd', 'respondent: ontbrekend antwoord niet gemeld');
    const kept = await respondent.locator('input[type=radio]:checked').count();
    if (kept !== questions - 1) fail(`respondent: ${kept} antwoorden bewaard, verwacht ${questions - 1}`);
    await audit(respondent, 'respondent vragenlijst met fout');
    // From the error summary to the open statement, answer it, and send.
    const onErrorLink = () => respondent.evaluate(() => {
      const a = document.activeElement;
      return !!a && a.tagName === 'A' && (a.getAttribute('href') || '').startsWith('#v-');
    });
    for (let i = 0; i < 40 && !(await onErrorLink()); i++) await respondent.keyboard.press('Tab');
    await respondent.keyboard.press('Enter');
    await respondent.keyboard.press('Tab');
    await respondent.keyboard.press('Space');
    await respondent.keyboard.press('Tab');
    await respondent.keyboard.press('Tab');
    await Promise.all([respondent.waitForNavigation(), respondent.keyboard.press('Enter')]);
    await expectText(respondent, 'Dank u wel', 'respondent: antwoorden niet verstuurd');
    await audit(respondent, 'respondent verstuurd');
    await visit(respondent, links[0], 'respondent', 410);
    await respondentContext.close();

    await coach.goto(base + roundPath);
    await expectText(coach, 'Gemeenten (leden): kleine gemeenten', 'coach: respons per groep ontbreekt');
    await visit(coach, `${roundPath}/uitkomsten`, 'coach');
    await expectText(coach, 'De uitkomsten verschijnen als de meetronde sluit', 'coach: uitkomsten van een lopende meetronde getoond');
    await coach.goto(base + roundPath);
    await coach.getByRole('button', { name: 'Meetronde sluiten' }).click();
    await coach.waitForLoadState();
    await expectText(coach, 'De meetronde is gesloten', 'coach: meetronde niet gesloten');
    await visit(coach, `${roundPath}/uitkomsten`, 'coach');
    await expectText(coach, 'minder dan 5 respondenten: geen cijfer', 'coach: cijfer voor één respondent');
    await coachContext.close();
  }

  // A provider sends the yearly report once, first with a mistake that keeps what was typed;
  // a member then reads the part that concerns it.
  {
    const context = await browser.newContext();
    const page = await login(context, 'aanbieder');
    await visit(page, `${region}/verantwoording`, 'aanbieder');
    await page.getByRole('link', { name: 'Jaarverantwoording 2025' }).click();
    await page.waitForLoadState();
    await audit(page, 'aanbieder verantwoordingsverzoek');
    const inputs = page.locator('input[name^="w."]');
    const n = await inputs.count();
    if (n < 10) fail(`aanbieder: maar ${n} invoervelden voor de jaarverantwoording`);
    for (let i = 0; i < n; i++) await inputs.nth(i).fill(i === 0 ? 'veel' : String(100 + i));
    await page.getByLabel('Kwaliteitsverslag (samenvatting)').fill('Alle teams werken met het kwaliteitskader.');
    await page.getByRole('button', { name: 'Inzending versturen' }).click();
    await page.waitForLoadState();
    await expectText(page, 'is geen geheel aantal', 'aanbieder: fout cijfer niet gemeld');
    if ((await inputs.nth(1).inputValue()) !== '101') fail('aanbieder: ingetypte cijfers kwijt');
    await audit(page, 'aanbieder inzending met fout');
    await inputs.nth(0).fill('100');
    await page.getByRole('button', { name: 'Inzending versturen' }).click();
    await page.waitForLoadState();
    await expectText(page, 'Uw inzending is ontvangen', 'aanbieder: inzending niet ontvangen');
    await audit(page, 'aanbieder na inzending');
    await context.close();
    const memberContext = await browser.newContext();
    const member = await login(memberContext, 'gemeente');
    await member.goto(base + `${region}/verantwoording`);
    await member.getByRole('link', { name: 'Jaarverantwoording 2025' }).click();
    await member.waitForLoadState();
    await expectText(member, 'Wat aanbieders voor uw gemeente aanleverden', 'gemeente: geen deel van de inzending');
    await expectText(member, 'Alle teams werken met het kwaliteitskader.', 'gemeente: kwaliteitsverslag niet te zien');
    await audit(member, 'gemeente deel van de inzending');
    await memberContext.close();
  }

  // Exchange placements: a provider's place form with a mistake keeps what was typed; the
  // coordinator proposes a stable matching for the demo round's generated participants and confirms.
  {
    const context = await browser.newContext();
    const provider = await login(context, 'aanbieder');
    await visit(provider, `${region}/wisselstages`, 'aanbieder');
    await provider.getByRole('link', { name: 'Wisselstage voorjaar' }).click();
    await provider.waitForLoadState();
    await audit(provider, 'aanbieder wisselstage');
    await provider.getByLabel('Thema').fill('Dagbehandeling');
    await provider.getByLabel('Van', { exact: true }).fill('01-03-2027');
    await provider.getByLabel('Tot en met').fill('01-02-2027');
    await provider.getByLabel('Aantal deelnemers').fill('1');
    await provider.getByRole('button', { name: 'Plek aanbieden' }).click();
    await provider.waitForLoadState();
    await expectText(provider, 'eindigt voor ze begint', 'aanbieder: verkeerde periode niet gemeld');
    if ((await provider.getByLabel('Thema').inputValue()) !== 'Dagbehandeling') fail('aanbieder: ingetypt thema kwijt');
    await audit(provider, 'aanbieder plek met fout');
    await context.close();

    const coordinatorContext = await browser.newContext();
    const coordinator = await login(coordinatorContext, 'beheerder');
    await coordinator.goto(base + `${region}/wisselstages`);
    await coordinator.getByRole('link', { name: 'Wisselstage voorjaar' }).click();
    await coordinator.waitForLoadState();
    await coordinator.getByRole('button', { name: 'Indeling voorstellen' }).click();
    await coordinator.waitForLoadState();
    await expectText(coordinator, 'Samenspel stelt een stabiele indeling voor', 'coördinator: geen voorstel');
    await audit(coordinator, 'coördinator voorgestelde indeling');
    await coordinator.getByRole('button', { name: 'Indeling bevestigen' }).click();
    await coordinator.waitForLoadState();
    await expectText(coordinator, 'De indeling is bevestigd', 'coördinator: indeling niet bevestigd');
    await audit(coordinator, 'coördinator bevestigde indeling');
    await coordinatorContext.close();
  }

  const riskSharing = [`${region}/handvest`, `${region}/norm`, `${region}/verevening`, `${region}/verevening/afrekening`, `${region}/verevening/shapley`,
    `${region}/verevening/uittreden`, `${region}/verevening/uittreden?gemeente=GM1842&gemeente=GM0629`, `${region}/verevening/budgetrisico?jaren=20000`];
  const common = [region, `${region}/leden`, `${region}/kerncijfers`, `${region}/aanbieders`, '/regios', '/gemeenten', '/gemeenten?naam=delf', '/account',
    `${region}/percelen`, `${region}/percelen?datum=2025-06-01`, `${region}/producten`, `${region}/producten?zoek=ambulant&wet=jeugd`,
    `${region}/contracten`, `${region}/administratieve-lasten`,
    `${region}/uitgaven`, `${region}/uitgaven?per=aanbieder`, `${region}/uitgaven?per=perceel`, `${region}/uitgaven?per=product`,
    `${region}/uitgaven?jaar=2025`, `${region}/signalen`, `${region}/gezondheid`, `${region}/verantwoording`, `${region}/loket`, `${region}/vragen`, `${region}/wisselstages`];
  const procurement = [`${region}/toelating`];
  const governance = [`${region}/voorstellen`, `${region}/besluiten`, `${region}/inspraak`, `${region}/vertegenwoordigers`];
  const clientRows = [`${region}/toewijzingen`, `${region}/declaraties`];
  const health = [`${region}/gezondheid/waarschuwingen`, `${region}/gezondheid/dossier`];
  const roles = {
    beheerder: { extra: [`${region}/gebruikers`, `${region}/auditlog`, ...procurement, `${region}/importen`, ...riskSharing, ...governance, ...health], forbidden: clientRows },
    gemeente: { extra: [`${region}/gebruikers`, ...procurement, `${region}/importen`, ...clientRows, `${region}/declaraties?pagina=2`, ...riskSharing, ...governance, ...health], forbidden: [`${region}/auditlog`] },
    aanbieder: { extra: [`${region}/gebruikers`, ...procurement, ...clientRows], forbidden: [`${region}/auditlog`, `${region}/importen`, ...riskSharing, ...governance, ...health] },
    coach: { extra: [`${region}/gebruikers`, ...procurement, ...riskSharing, ...governance, ...health], forbidden: [`${region}/auditlog`, `${region}/importen`, ...clientRows] },
    waarnemer: { extra: [...riskSharing, `${region}/besluiten`, ...health], forbidden: [`${region}/gebruikers`, `${region}/auditlog`, ...procurement, `${region}/importen`, ...clientRows, `${region}/voorstellen`, `${region}/inspraak`] },
  };

  for (const [role, { extra, forbidden }] of Object.entries(roles)) {
    const context = await browser.newContext();
    const page = await login(context, role);
    for (const path of [...common, ...extra]) await visit(page, path, role);
    for (const path of forbidden) await visit(page, path, role, 403);
    await page.goto(base + `${region}/aanbieders`);
    const provider = await firstLink(page, /\/aanbieders\/\d+$/);
    if (provider) await visit(page, provider, role);
    for (const [list, pattern] of [[`${region}/percelen`, /\/percelen\/\d+$/], [`${region}/producten`, /\/producten\/\d+$/], [`${region}/contracten`, /\/contracten\/\d+$/], [`${region}/toelating`, /\/toelating\/\d+$/],
      [`${region}/voorstellen`, /\/voorstellen\/\d+$/], [`${region}/besluiten`, /\/voorstellen\/\d+$/],
      [`${region}/gezondheid`, /\/gezondheid\/rondes\/\d+$/], [`${region}/gezondheid`, /\/gezondheid\/instrumenten\/samenspel-/], [`${region}/verantwoording`, /\/verantwoording\/\d+$/], [`${region}/wisselstages`, /\/wisselstages\/\d+$/]]) {
      if (/\/(toelating|voorstellen|besluiten)$/.test(list) && !extra.includes(list)) continue;
      await page.goto(base + list);
      const detail = await firstLink(page, pattern);
      if (detail) await visit(page, detail, role);
    }
    if (extra.includes(`${region}/importen`)) {
      await page.goto(base + `${region}/importen`);
      const detail = await firstLink(page, /\/importen\/\d+$/);
      if (detail) await visit(page, detail, role);
    }
    await page.goto(base + `${region}/uitgaven`);
    if ((await page.locator('svg[role="img"]').count()) < 2) fail(`${role}: uitgaven zonder grafieken`);
    if (!(await page.getByRole('cell', { name: 'dreigt over budget' }).first().isVisible())) fail(`${role}: geen gemeente die over budget dreigt`);
    if (extra.includes(`${region}/gebruikers`)) {
      await page.goto(base + `${region}/gebruikers`);
      const user = await firstLink(page, /\/gebruikers\/\d+$/);
      if (user) await visit(page, user, role);
    }

    if (role === 'beheerder') {
      // A provider form with mistakes keeps what was typed and says why; then the fix works.
      await page.goto(base + `${region}/aanbieders`);
      await page.getByLabel('Naam', { exact: true }).fill('Browser Zorg BV');
      await page.getByLabel('AGB-code').fill('123');
      await page.getByRole('button', { name: 'Zorgaanbieder toevoegen' }).click();
      await page.waitForLoadState();
      if (!(await page.getByText('Een AGB-code bestaat uit precies acht cijfers.').first().isVisible())) fail('beheerder: foutmelding AGB-code ontbreekt');
      if ((await page.getByLabel('Naam', { exact: true }).inputValue()) !== 'Browser Zorg BV') fail('beheerder: ingetypte naam kwijt');
      await audit(page, 'beheerder aanbiederformulier met fouten');
      await page.getByLabel('AGB-code').fill(String(Date.now()).slice(-8));
      await page.getByRole('button', { name: 'Zorgaanbieder toevoegen' }).click();
      await page.waitForLoadState();
      if (!(await page.getByText('De zorgaanbieder is toegevoegd.').isVisible())) fail('beheerder: aanbieder niet toegevoegd');
      await audit(page, 'beheerder na toevoegen aanbieder');
      if (process.env.SCREENSHOTS) {
        await page.goto(base + region);
        await page.screenshot({ path: `${process.env.SCREENSHOTS}/overzicht.png`, fullPage: true });
        await page.goto(base + `${region}/aanbieders`);
        await page.screenshot({ path: `${process.env.SCREENSHOTS}/aanbieders.png`, fullPage: true });
      }
      // Steering without a reason: every problem named, the form kept.
      await page.goto(base + `${region}/percelen`);
      await page.getByRole('link', { name: 'Crisis' }).click();
      await page.waitForLoadState();
      await page.getByLabel('Geldt vanaf').last().fill('2027-01-01');
      await page.getByRole('button', { name: 'Sturingskeuzes vastleggen' }).click();
      await page.waitForLoadState();
      if (!(await page.getByText('Controleer het formulier').first().isVisible())) fail('beheerder: sturingsformulier zonder reden gaf geen foutmelding');
      await audit(page, 'beheerder sturingskeuzes met fouten');
      // A tariff without a unit is refused next to the field.
      await page.goto(base + `${region}/contracten`);
      const contract = await firstLink(page, /\/contracten\/\d+$/);
      await page.goto(base + contract);
      await page.getByLabel('Tarief per eenheid').fill('80,00');
      await page.getByRole('button', { name: 'Tarief toevoegen' }).click();
      await page.waitForLoadState();
      if (!(await page.getByText('Een tarief zonder eenheid kan niet').first().isVisible())) fail('beheerder: tarief zonder eenheid niet geweigerd');
      await audit(page, 'beheerder tarief met fouten');
      // The pending application: every condition met, admitted with a reason.
      await page.goto(base + `${region}/toelating`);
      const application = await firstLink(page, /\/toelating\/\d+$/);
      await page.goto(base + application);
      for (const radio of await page.getByLabel('voldaan', { exact: true }).all()) await radio.check();
      await page.getByLabel('toelaten (het contract start)').check();
      await page.getByLabel('Reden van het besluit (de aanbieder ziet deze)').fill('Voldoet aan alle voorwaarden');
      await page.getByRole('button', { name: 'Besluit vastleggen' }).click();
      await page.waitForLoadState();
      if (!(await page.getByText('Het besluit is vastgelegd').isVisible())) fail('beheerder: toelatingsbesluit niet vastgelegd');
      await audit(page, 'beheerder na toelatingsbesluit');
      // A hand-broken message: rejected, and the report names the line and the rule.
      await page.goto(base + `${region}/importen`);
      const broken = '<?xml version="1.0"?>\n<jw323:Bericht xmlns:jw323="http://www.istandaarden.nl/ijw/3_2/jw323/schema">\n<jw323:Header>';
      await page.getByLabel(/Bestand/).setInputFiles({ name: 'kapot.xml', mimeType: 'text/xml', buffer: Buffer.from(broken) });
      await page.getByRole('button', { name: 'Inlezen' }).click();
      await page.waitForLoadState();
      await page.waitForFunction(() => !document.querySelector('progress'), null, { timeout: 20000 }).catch(() => {});
      await page.reload();
      if (!(await page.getByText('Het bestand is afgewezen').isVisible())) fail('beheerder: kapot bestand niet afgewezen');
      if (!(await page.getByRole('cell', { name: 'XSD', exact: true }).first().isVisible())) fail('beheerder: verslag noemt de regel niet');
      await audit(page, 'beheerder verslag afgewezen import');
      // Keyboard: the skip link is the first stop and leads to the content.
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => document.activeElement && document.activeElement.textContent.trim());
      if (focused !== 'Naar de inhoud') fail(`beheerder: eerste tabstop is "${focused}", niet de skiplink`);
    }
    if (role === 'gemeente') {
      await page.goto(base + `${region}/kerncijfers?jaar=2026&gemeente=GM1842`);
      await page.getByLabel('Jeugdigen 0–17').fill('veel');
      await page.getByRole('button', { name: 'Kerncijfers opslaan' }).click();
      await page.waitForLoadState();
      if ((await page.getByLabel('Jeugdigen 0–17').inputValue()) !== 'veel') fail('gemeente: ingetypte waarde kwijt');
      await audit(page, 'gemeente kerncijfers met fout');
      await page.getByLabel('Jeugdigen 0–17').fill('4.210');
      await page.getByRole('button', { name: 'Kerncijfers opslaan' }).click();
      await page.waitForLoadState();
      if (!(await page.getByRole('cell', { name: '4.210' }).isVisible())) fail('gemeente: kerncijfers niet opgeslagen');
      // A claim of its own without an assignment: quarantined, and the member sees the record.
      await page.goto(base + `${region}/importen`);
      const csv = 'wet;gemeente;aanbieder;declaratienummer;bsn;referentienummer;toewijzingnummer;productcategorie;productcode;begindatum;einddatum;volume;eenheid;tarief;bedrag\n'
        + 'jeugd;1842;98000001;BROWSER1;999900006;BR-1;999999;45;45A04;1-1-2026;31-1-2026;1;04;80,66;80,66\n';
      await page.getByLabel(/Bestand/).setInputFiles({ name: 'eigen.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await page.getByRole('button', { name: 'Inlezen' }).click();
      await page.waitForLoadState();
      await page.waitForFunction(() => !document.querySelector('progress'), null, { timeout: 20000 }).catch(() => {});
      await page.reload();
      if (!(await page.getByRole('cell', { name: 'TR338', exact: true }).isVisible())) fail('gemeente: quarantaine TR338 niet in het verslag');
      if (!(await page.getByText('Record (gepseudonimiseerd)').isVisible())) fail('gemeente: eigen record niet te zien');
      if (await page.getByText('999900006').count()) fail('gemeente: BSN zichtbaar');
      await audit(page, 'gemeente verslag met quarantaine');
    }
    if (role === 'aanbieder') {
      await page.goto(base + `${region}/aanbieders`);
      await page.getByRole('link', { name: 'Jeugdhulp Duinzicht (fictief)' }).click();
      await page.waitForLoadState();
      await page.getByLabel('Telefoonnummer').fill('070 765 43 21');
      await page.getByRole('button', { name: 'Contactgegevens opslaan' }).click();
      await page.waitForLoadState();
      if (!(await page.getByText('070 765 43 21').first().isVisible())) fail('aanbieder: contactgegevens niet opgeslagen');
      await audit(page, 'aanbieder na opslaan contactgegevens');
    }
    // Logging out ends the session.
    await page.getByRole('button', { name: 'Uitloggen' }).click();
    await page.waitForLoadState();
    if (!page.url().includes('/inloggen')) fail(`${role}: uitloggen leidt niet naar inloggen`);
    await context.close();
  }
} finally {
  await browser.close();
}

console.log(`Browsertests: ${audited} paginatoestanden met axe-core gecontroleerd (${TAGS.join(', ')}), ${failures.length} fouten.`);
process.exit(failures.length === 0 ? 0 : 1);
