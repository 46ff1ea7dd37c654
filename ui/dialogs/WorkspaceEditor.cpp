#include "WorkspaceEditor.h"

#include "connectors/PgPassFile.h"
#include "model/SyncError.h"
#include "model/WorkspaceLoader.h"
#include "model/WorkspaceWriter.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHash>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace syncdesk::ui {

namespace {

TableRef tableFromText(const QString &text)
{
    const qsizetype dot = text.indexOf(u'.');
    return dot < 0 ? TableRef{QString(), text} : TableRef{text.left(dot), text.mid(dot + 1)};
}

QStringList checked(const QListWidget *list)
{
    QStringList out;
    for (int i = 0; i < list->count(); ++i)
        if (list->item(i)->checkState() == Qt::Checked)
            out << list->item(i)->text();
    return out;
}

void fillChecks(QListWidget *list, const QStringList &items, const QStringList &on)
{
    list->clear();
    for (const QString &c : items) {
        auto *item = new QListWidgetItem(c, list);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(on.contains(c) ? Qt::Checked : Qt::Unchecked);
    }
}

} // namespace

WorkspaceEditor::WorkspaceEditor(Workspace workspace, QString path, QWidget *parent)
    : QDialog(parent), m_ws(std::move(workspace)), m_path(std::move(path)),
      m_systems(new QListWidget(this)), m_flows(new QListWidget(this)), m_forms(new QStackedWidget(this)),
      m_sysName(new QLineEdit(this)), m_sysKind(new QComboBox(this)), m_sysTarget(new QLineEdit(this)),
      m_sysPassword(new QLineEdit(this)), m_sysSecretHeader(new QLineEdit(this)), m_sysFeed(new QComboBox(this)), m_sysResult(new QLabel(this)),
      m_flowName(new QLineEdit(this)), m_srcSystem(new QComboBox(this)), m_dstSystem(new QComboBox(this)),
      m_srcTable(new QComboBox(this)), m_dstTable(new QComboBox(this)), m_keys(new QListWidget(this)),
      m_fields(new QListWidget(this)), m_sla(new QSpinBox(this)), m_direction(new QComboBox(this)),
      m_policy(new QComboBox(this)),
      m_policyDryRun(new QCheckBox(tr("Dry run: show what the policy would do, write nothing"), this)),
      m_probeTable(new QLineEdit(this)), m_probeTarget(new QLineEdit(this)), m_probeInterval(new QSpinBox(this)),
      m_message(new QLabel(this))
{
    setWindowTitle(tr("Workspace — %1").arg(m_path));
    m_ws.filePath = QFileInfo(m_path).absoluteFilePath();
    m_systems->setObjectName(QStringLiteral("systems"));
    m_flows->setObjectName(QStringLiteral("flows"));
    m_sysName->setObjectName(QStringLiteral("systemName"));
    m_sysKind->setObjectName(QStringLiteral("systemKind"));
    m_sysTarget->setObjectName(QStringLiteral("systemTarget"));
    m_flowName->setObjectName(QStringLiteral("flowName"));
    m_srcSystem->setObjectName(QStringLiteral("sourceSystem"));
    m_dstSystem->setObjectName(QStringLiteral("targetSystem"));
    m_srcTable->setObjectName(QStringLiteral("sourceTable"));
    m_dstTable->setObjectName(QStringLiteral("targetTable"));
    m_keys->setObjectName(QStringLiteral("keys"));
    m_fields->setObjectName(QStringLiteral("fields"));
    m_message->setObjectName(QStringLiteral("message"));
    m_message->setWordWrap(true);

    m_sysKind->addItem(QStringLiteral("postgres"));
    m_sysKind->addItem(QStringLiteral("sqlite"));
    m_sysKind->addItem(QStringLiteral("http"));
    for (const char *f : {"auto", "logical", "notify", "polling", "rescan"})
        m_sysFeed->addItem(QString::fromLatin1(f));
    m_sysPassword->setEchoMode(QLineEdit::Password);
    m_sysPassword->setObjectName(QStringLiteral("systemPassword"));
    m_sysPassword->setPlaceholderText(tr("database: stored in %1; API token: in the desktop keychain; "
                                         "never in the workspace").arg(PgPassFile::path()));
    m_sysSecretHeader->setObjectName(QStringLiteral("secretHeader"));
    m_sysSecretHeader->setText(QStringLiteral("Authorization: Bearer "));
    m_sysSecretHeader->setToolTip(tr("The header an API's token is sent in, and what goes before the token"));
    m_sla->setRange(1, 7 * 24 * 3600);
    m_sla->setSuffix(tr(" s"));
    m_probeTable->setObjectName(QStringLiteral("probeTable"));
    m_probeTable->setPlaceholderText(tr("none (a probe table at the source, e.g. syncdesk_probe)"));
    m_probeTarget->setObjectName(QStringLiteral("probeTarget"));
    m_probeTarget->setPlaceholderText(tr("the same name"));
    m_probeInterval->setObjectName(QStringLiteral("probeInterval"));
    m_probeInterval->setRange(1, 86400);
    m_probeInterval->setValue(30);
    m_probeInterval->setSuffix(tr(" s"));
    m_direction->addItems({QStringLiteral("one-way"), QStringLiteral("two-way")});
    // In the enum's order: the index is the policy.
    for (Policy p : {Policy::Manual, Policy::SourceWins, Policy::TargetWins, Policy::NewestWins,
                     Policy::MergeFields})
        m_policy->addItem(policyName(p));
    m_srcTable->setEditable(true);
    m_dstTable->setEditable(true);

    auto *systemForm = new QWidget(this);
    auto *sf = new QFormLayout(systemForm);
    sf->addRow(tr("&Name:"), m_sysName);
    sf->addRow(tr("&Kind:"), m_sysKind);
    sf->addRow(tr("Conninfo / &path / base URL:"), m_sysTarget);
    sf->addRow(tr("Pass&word / API token:"), m_sysPassword);
    sf->addRow(tr("API token &header:"), m_sysSecretHeader);
    sf->addRow(tr("&Feed:"), m_sysFeed);
    auto *test = new QPushButton(tr("&Test connection"), systemForm);
    test->setObjectName(QStringLiteral("testConnection"));
    sf->addRow(test, m_sysResult);
    m_sysResult->setWordWrap(true);
    m_sysResult->setObjectName(QStringLiteral("testResult"));

    auto *flowForm = new QWidget(this);
    auto *ff = new QFormLayout(flowForm);
    ff->addRow(tr("&Name:"), m_flowName);
    auto *src = new QHBoxLayout;
    src->addWidget(m_srcSystem);
    src->addWidget(m_srcTable, 1);
    auto *dst = new QHBoxLayout;
    dst->addWidget(m_dstSystem);
    dst->addWidget(m_dstTable, 1);
    ff->addRow(tr("&Source:"), src);
    ff->addRow(tr("Tar&get:"), dst);
    ff->addRow(tr("&Key columns:"), m_keys);
    ff->addRow(tr("&Compared fields:"), m_fields);
    ff->addRow(tr("S&LA:"), m_sla);
    ff->addRow(tr("&Direction:"), m_direction);
    ff->addRow(tr("&Policy:"), m_policy);
    ff->addRow(QString(), m_policyDryRun);
    ff->addRow(tr("Tracer &probe table:"), m_probeTable);
    ff->addRow(tr("  at the target:"), m_probeTarget);
    ff->addRow(tr("  written every:"), m_probeInterval);

    m_forms->addWidget(new QLabel(tr("Select or add a system or a flow."), this));
    m_forms->addWidget(systemForm);
    m_forms->addWidget(flowForm);

    auto *addSystem = new QPushButton(tr("Add system"), this);
    auto *removeSystem = new QPushButton(tr("Remove"), this);
    auto *addFlow = new QPushButton(tr("Add flow"), this);
    auto *removeFlow = new QPushButton(tr("Remove"), this);
    addSystem->setObjectName(QStringLiteral("addSystem"));
    addFlow->setObjectName(QStringLiteral("addFlow"));
    auto *lists = new QVBoxLayout;
    lists->addWidget(new QLabel(tr("Systems"), this));
    lists->addWidget(m_systems);
    auto *sb = new QHBoxLayout;
    sb->addWidget(addSystem);
    sb->addWidget(removeSystem);
    lists->addLayout(sb);
    lists->addWidget(new QLabel(tr("Flows"), this));
    lists->addWidget(m_flows);
    auto *fb = new QHBoxLayout;
    fb->addWidget(addFlow);
    fb->addWidget(removeFlow);
    lists->addLayout(fb);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    auto *body = new QHBoxLayout;
    body->addLayout(lists, 1);
    body->addWidget(m_forms, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(body);
    layout->addWidget(m_message);
    layout->addWidget(buttons);
    resize(900, 600);

    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        if (save())
            accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_systems, &QListWidget::currentRowChanged, this, &WorkspaceEditor::showSystem);
    connect(m_flows, &QListWidget::currentRowChanged, this, &WorkspaceEditor::showFlow);
    connect(addSystem, &QPushButton::clicked, this, [this] {
        SystemSpec s;
        s.name = tr("system%1").arg(m_ws.systems.size() + 1);
        s.kind = SystemKind::Postgres;
        m_ws.systems << s;
        refreshLists();
        m_systems->setCurrentRow(int(m_ws.systems.size()) - 1);
    });
    connect(removeSystem, &QPushButton::clicked, this, [this] {
        if (m_system >= 0) {
            m_ws.systems.removeAt(m_system);
            m_system = -1;
            refreshLists();
        }
    });
    connect(addFlow, &QPushButton::clicked, this, [this] {
        FlowSpec f;
        f.name = tr("flow%1").arg(m_ws.flows.size() + 1);
        if (!m_ws.systems.isEmpty())
            f.source.system = f.target.system = m_ws.systems.first().name;
        m_ws.flows << f;
        refreshLists();
        m_flows->setCurrentRow(int(m_ws.flows.size()) - 1);
    });
    connect(removeFlow, &QPushButton::clicked, this, [this] {
        if (m_flow >= 0) {
            m_ws.flows.removeAt(m_flow);
            m_flow = -1;
            refreshLists();
        }
    });
    connect(test, &QPushButton::clicked, this, &WorkspaceEditor::testConnection);
    for (QLineEdit *e : {m_sysName, m_sysTarget})
        connect(e, &QLineEdit::editingFinished, this, &WorkspaceEditor::storeSystem);
    for (QComboBox *c : {m_sysKind, m_sysFeed})
        connect(c, &QComboBox::currentIndexChanged, this, &WorkspaceEditor::storeSystem);
    connect(m_flowName, &QLineEdit::editingFinished, this, &WorkspaceEditor::storeFlow);
    for (QComboBox *c : {m_srcSystem, m_dstSystem, m_direction, m_policy})
        connect(c, &QComboBox::currentIndexChanged, this, &WorkspaceEditor::storeFlow);
    for (QComboBox *c : {m_srcSystem, m_dstSystem})
        connect(c, &QComboBox::currentIndexChanged, this, &WorkspaceEditor::loadColumns);
    for (QComboBox *c : {m_srcTable, m_dstTable})
        connect(c, &QComboBox::currentTextChanged, this, [this] {
            storeFlow();
            loadColumns();
        });
    for (QListWidget *l : {m_keys, m_fields})
        connect(l, &QListWidget::itemChanged, this, &WorkspaceEditor::storeFlow);
    connect(m_sla, &QSpinBox::valueChanged, this, &WorkspaceEditor::storeFlow);
    connect(m_probeTable, &QLineEdit::textChanged, this, &WorkspaceEditor::storeFlow);
    connect(m_probeTarget, &QLineEdit::textChanged, this, &WorkspaceEditor::storeFlow);
    connect(m_probeInterval, &QSpinBox::valueChanged, this, &WorkspaceEditor::storeFlow);
    connect(m_policyDryRun, &QCheckBox::toggled, this, &WorkspaceEditor::storeFlow);
    // A dry run of "manual" would try nothing: the loader refuses it, so the box does too.
    connect(m_policy, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_policyDryRun->setEnabled(index != int(Policy::Manual));
        if (index == int(Policy::Manual))
            m_policyDryRun->setChecked(false);
    });

    connect(&m_tablesWatcher, &QFutureWatcherBase::finished, this, [this] {
        const auto r = m_tablesWatcher.result();
        if (!r.value) {
            m_sysResult->setText(tr("Cannot connect: %1").arg(r.error));
        } else if (m_system >= 0 && m_ws.systems[m_system].kind == SystemKind::Http) {
            m_sysResult->setText(tr("Connected: the API answers. Name a resource in a flow to see "
                                    "its records' members."));
        } else {
            QStringList names;
            for (const TableRef &t : *r.value)
                names << t.display();
            m_sysResult->setText(tr("Connected: %n table(s): %1", nullptr, int(names.size()))
                                     .arg(names.mid(0, 12).join(QStringLiteral(", "))));
        }
        emit probed();
    });
    connect(&m_tokenWatcher, &QFutureWatcherBase::finished, this, &WorkspaceEditor::tokenTested);
    connect(&m_columnsWatcher, &QFutureWatcherBase::finished, this, [this] {
        const auto r = m_columnsWatcher.result();
        if (m_flow < 0)
            return;
        if (!r.value) {
            m_message->setText(tr("Cannot list the source table's columns: %1").arg(r.error));
        } else {
            const FlowSpec &f = m_ws.flows[m_flow];
            QStringList keys, fields;
            for (const ColumnPair &c : f.key)
                keys << c.source;
            for (const ColumnPair &c : f.fields)
                fields << c.source;
            m_loading = true;
            fillChecks(m_keys, *r.value, keys);
            fillChecks(m_fields, *r.value, fields);
            m_loading = false;
        }
        emit probed();
    });
    refreshLists();
}

void WorkspaceEditor::refreshLists()
{
    m_loading = true;
    m_systems->clear();
    for (const SystemSpec &s : m_ws.systems)
        m_systems->addItem(s.name);
    m_flows->clear();
    for (const FlowSpec &f : m_ws.flows)
        m_flows->addItem(f.name);
    for (QComboBox *c : {m_srcSystem, m_dstSystem}) {
        c->clear();
        for (const SystemSpec &s : m_ws.systems)
            c->addItem(s.name);
    }
    m_loading = false;
}

void WorkspaceEditor::showSystem(int row)
{
    if (row < 0 || row >= m_ws.systems.size())
        return;
    m_flow = -1;
    m_system = row;
    m_loading = true;
    const SystemSpec &s = m_ws.systems[row];
    m_sysName->setText(s.name);
    m_sysKind->setCurrentText(systemKindName(s.kind));
    m_sysTarget->setText(s.kind == SystemKind::Postgres ? s.conninfo
                         : s.kind == SystemKind::Http   ? s.url
                                                        : s.path);
    m_sysFeed->setCurrentText(s.feed);
    m_sysPassword->clear();
    m_sysSecretHeader->setText(QStringLiteral("Authorization: Bearer "));
    for (const HttpHeader &h : s.http.headers)
        if (!h.keychain.isEmpty())
            m_sysSecretHeader->setText(h.name + QStringLiteral(": ") + h.prefix);
    m_sysResult->clear();
    m_loading = false;
    m_forms->setCurrentIndex(1);
}

void WorkspaceEditor::showFlow(int row)
{
    if (row < 0 || row >= m_ws.flows.size())
        return;
    m_system = -1;
    m_flow = row;
    m_loading = true;
    const FlowSpec &f = m_ws.flows[row];
    m_flowName->setText(f.name);
    m_srcSystem->setCurrentText(f.source.system);
    m_dstSystem->setCurrentText(f.target.system);
    m_srcTable->setCurrentText(f.source.table.display());
    m_dstTable->setCurrentText(f.target.table.display());
    m_sla->setValue(f.slaSeconds);
    m_direction->setCurrentIndex(f.direction == Direction::TwoWay ? 1 : 0);
    m_policy->setCurrentIndex(int(f.policy));
    m_policyDryRun->setChecked(f.policyDryRun);
    m_policyDryRun->setEnabled(f.policy != Policy::Manual);
    m_probeTable->setText(f.probe ? f.probe->sourceTable.display() : QString());
    m_probeTarget->setText(f.probe && f.probe->targetTable.display() != f.probe->sourceTable.display()
                               ? f.probe->targetTable.display()
                               : QString());
    m_probeInterval->setValue(f.probe ? f.probe->intervalSeconds : 30);
    m_loading = false;
    m_forms->setCurrentIndex(2);
    loadColumns();
}

void WorkspaceEditor::storeSystem()
{
    if (m_loading || m_system < 0)
        return;
    SystemSpec &s = m_ws.systems[m_system];
    const QString oldName = s.name;
    s.name = m_sysName->text().trimmed();
    const QString kind = m_sysKind->currentText();
    s.kind = kind == u"postgres" ? SystemKind::Postgres : kind == u"http" ? SystemKind::Http : SystemKind::Sqlite;
    (s.kind == SystemKind::Postgres ? s.conninfo : s.kind == SystemKind::Http ? s.url : s.path) =
        m_sysTarget->text().trimmed();
    while (s.kind == SystemKind::Http && s.url.endsWith(u'/'))
        s.url.chop(1);
    if (s.kind == SystemKind::Sqlite && !s.path.isEmpty())
        s.path = QFileInfo(QFileInfo(m_path).absoluteDir(), s.path).absoluteFilePath();
    s.feed = m_sysFeed->currentText();
    for (FlowSpec &f : m_ws.flows)
        for (FlowSide *side : {&f.source, &f.target})
            if (side->system == oldName)
                side->system = s.name; // a rename follows into the flows
    if (m_systems->item(m_system))
        m_systems->item(m_system)->setText(s.name);
}

TableRef WorkspaceEditor::sideTable(const FlowSide &side, const QString &text) const
{
    const SystemSpec *system = m_ws.system(side.system);
    if (!system || system->kind != SystemKind::Http)
        return tableFromText(text);
    // An HTTP side keeps its paging and pointers (written back as read); the text is its resource.
    auto spec = side.table.http ? std::make_shared<HttpSideSpec>(*side.table.http)
                                : std::make_shared<HttpSideSpec>();
    spec->resource = text;
    spec->raw.insert(QStringLiteral("resource"), text);
    TableRef t(QString(), text);
    t.http = spec;
    return t;
}

void WorkspaceEditor::storeFlow()
{
    if (m_loading || m_flow < 0)
        return;
    FlowSpec &f = m_ws.flows[m_flow];
    f.name = m_flowName->text().trimmed();
    f.source.system = m_srcSystem->currentText();
    f.target.system = m_dstSystem->currentText();
    f.source.table = sideTable(f.source, m_srcTable->currentText().trimmed());
    f.target.table = sideTable(f.target, m_dstTable->currentText().trimmed());
    if (m_keys->count() > 0) {
        // A column keeps the target name it was mapped to; a new one maps to its own name.
        QHash<QString, QString> targets;
        for (const QList<ColumnPair> *pairs : {&f.key, &f.fields})
            for (const ColumnPair &c : *pairs)
                targets.insert(c.source, c.target);
        const QStringList keys = checked(m_keys);
        f.key.clear();
        for (const QString &k : keys)
            f.key.append({k, targets.value(k, k)});
        f.fields.clear();
        for (const QString &c : checked(m_fields))
            if (!keys.contains(c))
                f.fields.append({c, targets.value(c, c)});
    }
    f.slaSeconds = m_sla->value();
    f.direction = m_direction->currentIndex() == 1 ? Direction::TwoWay : Direction::OneWay;
    f.policy = Policy(m_policy->currentIndex());
    f.policyDryRun = f.policy != Policy::Manual && m_policyDryRun->isChecked();
    const QString probeTable = m_probeTable->text().trimmed();
    if (probeTable.isEmpty()) {
        f.probe.reset();
    } else {
        ProbeSpec p = f.probe.value_or(ProbeSpec{});
        if (p.id.isEmpty())
            p.id = f.name;
        // A stall threshold left at its default (one interval) follows the interval.
        if (!f.probe || p.stallAfterSeconds == p.intervalSeconds)
            p.stallAfterSeconds = m_probeInterval->value();
        p.intervalSeconds = m_probeInterval->value();
        p.sourceTable = tableFromText(probeTable);
        const QString target = m_probeTarget->text().trimmed();
        p.targetTable = target.isEmpty() ? p.sourceTable : tableFromText(target);
        f.probe = p;
    }
    if (m_flows->item(m_flow))
        m_flows->item(m_flow)->setText(f.name);
}

void WorkspaceEditor::testConnection()
{
    storeSystem();
    if (m_system < 0)
        return;
    const SystemSpec s = m_ws.systems[m_system];
    if (s.kind == SystemKind::Postgres && !m_sysPassword->text().isEmpty()) {
        try {
            PgPassFile::store(s.conninfo, m_sysPassword->text());
            m_sysPassword->clear();
        } catch (const SyncError &e) {
            m_sysResult->setText(e.message());
            return;
        }
    }
    if (s.kind == SystemKind::Http && !m_sysPassword->text().isEmpty()) {
        tryApiToken(s);
        return;
    }
    m_sysResult->setText(tr("Connecting…"));
    m_tablesWatcher.setFuture(SystemProbe::tables(s));
}

void WorkspaceEditor::tryApiToken(const SystemSpec &s)
{
    // "Authorization: Bearer " → the header's name and the text before the token.
    const QString header = m_sysSecretHeader->text();
    const qsizetype colon = header.indexOf(u':');
    TokenTrial trial;
    trial.system = s.name;
    trial.header.name = (colon < 0 ? header : header.left(colon)).trimmed();
    trial.header.prefix = colon < 0 ? QString() : header.mid(colon + 1);
    if (trial.header.prefix.startsWith(u' '))
        trial.header.prefix.remove(0, 1);
    trial.header.keychain = s.name + u'/' + trial.header.name;
    trial.token = m_sysPassword->text().toUtf8();
    m_sysPassword->clear();
    // Tried on a copy of the system with the token as the header's value: nothing of it goes
    // into the workspace, the process's secrets or a running engine before the API accepts it.
    SystemSpec copy = s;
    copy.http.headers.removeIf([&](const HttpHeader &h) { return h.name.compare(trial.header.name, Qt::CaseInsensitive) == 0; });
    HttpHeader tried;
    tried.name = trial.header.name;
    tried.literal = trial.header.prefix + QString::fromUtf8(trial.token);
    copy.http.headers.append(tried);
    std::optional<TableRef> resource;
    for (const FlowSpec &f : m_ws.flows)
        for (const FlowSide *side : {&f.source, &f.target})
            if (!resource && side->system == s.name && side->table.http && !side->table.http->resource.isEmpty())
                resource = side->table;
    m_trial = trial;
    m_sysResult->setText(tr("Trying the token…"));
    m_tokenWatcher.setFuture(SystemProbe::accepts(copy, resource));
}

void WorkspaceEditor::tokenTested()
{
    const std::optional<TokenTrial> trial = std::exchange(m_trial, std::nullopt);
    const auto r = m_tokenWatcher.result();
    emit probed();
    if (!trial)
        return;
    if (!r.value) {
        m_sysResult->setText(tr("Refused: %1\nThe token is not kept.").arg(r.error));
        return;
    }
    const auto system = std::find_if(m_ws.systems.begin(), m_ws.systems.end(),
                                     [&](const SystemSpec &s) { return s.name == trial->system; });
    if (system == m_ws.systems.end())
        return; // renamed or removed meanwhile: test again
    m_secrets.accept(trial->header.keychain, trial->token);
    // The header names the entry; an environment variable it named stays as the fallback that
    // syncdesk-cli (which reads no keychain) uses.
    // (WorkspaceWriter writes the headers from this list.)
    HttpHeader header = trial->header;
    for (const HttpHeader &h : std::as_const(system->http.headers))
        if (h.name.compare(header.name, Qt::CaseInsensitive) == 0 && !h.env.isEmpty())
            header.env = h.env;
    system->http.headers.removeIf([&](const HttpHeader &h) { return h.name.compare(header.name, Qt::CaseInsensitive) == 0; });
    system->http.headers.append(header);
    m_sysResult->setText(tr("Connected: the API accepted the token (%1). It goes to the desktop keychain "
                            "(entry '%2') when you save.")
                             .arg(*r.value, header.keychain));
}

void WorkspaceEditor::loadColumns()
{
    if (m_loading || m_flow < 0)
        return;
    const FlowSpec &f = m_ws.flows[m_flow];
    const SystemSpec *s = m_ws.system(f.source.system);
    if (!s || f.source.table.name.isEmpty())
        return;
    m_columnsWatcher.setFuture(SystemProbe::columns(*s, f.source.table));
    // The tables to choose from, for both sides.
    for (const auto &[combo, system] : {std::pair{m_srcTable, m_ws.system(f.source.system)},
                                        std::pair{m_dstTable, m_ws.system(f.target.system)}}) {
        if (!system || combo->count() > 0)
            continue;
        auto *watcher = new QFutureWatcher<Fallible<QList<TableRef>>>(this);
        connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, combo = combo] {
            watcher->deleteLater();
            const auto r = watcher->result();
            if (!r.value)
                return;
            m_loading = true;
            const QString current = combo->currentText();
            for (const TableRef &t : *r.value)
                combo->addItem(t.display());
            combo->setCurrentText(current);
            m_loading = false;
        });
        watcher->setFuture(SystemProbe::tables(*system));
    }
}

bool WorkspaceEditor::save()
{
    storeSystem();
    storeFlow();
    if (!m_sysPassword->text().isEmpty() && m_system >= 0 && m_ws.systems[m_system].kind == SystemKind::Http) {
        m_message->setText(tr("Not saved: press Test connection first, so the API token is kept only "
                              "once the API accepts it."));
        return false;
    }
    if (m_tokenWatcher.isRunning()) {
        m_message->setText(tr("Not saved: the API has not answered the token's test yet."));
        return false;
    }
    // The file must be valid before a secret is stored for it: a workspace refused afterwards
    // would leave a stored token nothing names.
    try {
        (void)WorkspaceLoader::parse(WorkspaceWriter::toJson(m_ws, m_path), m_path);
    } catch (const SyncError &e) {
        m_message->setText(e.message());
        return false;
    }
    if (const QString refused = m_secrets.store(); !refused.isEmpty()) {
        m_message->setText(tr("Not saved: %1").arg(refused));
        return false;
    }
    try {
        WorkspaceWriter::save(m_ws, m_path);
    } catch (const SyncError &e) {
        m_message->setText(e.message());
        return false;
    }
    m_message->setText(tr("Saved to %1").arg(m_path));
    return true;
}

} // namespace syncdesk::ui
