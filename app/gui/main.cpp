// ranklab: the desktop application. Without a display it runs the headless equivalent of its default
// (a short real training run on Fashion-MNIST, printed to the terminal).
#include <cstdio>

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QIcon>
#include <QPixmap>
#include <QTabWidget>
#include <QTimer>

#include "core/error.h"
#include "core/jobs/job_runner.h"
#include "core/jobs/workspace.h"
#include "core/train/trainer.h"
#include "ranklab/version.h"
#include "ui/layer_table_model.h"
#include "ui/main_window.h"

namespace {

/// The embedded default experiment: paper A's model family at desktop scale on Fashion-MNIST.
ranklab::TrainParams defaultExperiment()
{
    ranklab::TrainParams p;
    p.model = ranklab::defaultModelSpec(QStringLiteral("cifar_resnet18"));
    p.model.width = 0.25;
    p.model.inChannels = 1;
    p.model.inputSize = 28;
    p.data.name = QStringLiteral("fashion-mnist");
    p.data.subset = 3000;
    p.data.testSubset = 1000;
    p.epochs = 2;
    p.lr = 0.05;
    return p;
}

bool hasDisplay()
{
    return qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY")
        || qEnvironmentVariableIsSet("QT_QPA_PLATFORM");
}

void addCommonOptions(QCommandLineParser& parser)
{
    parser.setApplicationDescription(QStringLiteral("RankLab: low-rank compression laboratory for CNNs"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption({QStringLiteral("headless"), QStringLiteral("Run the default experiment in the terminal.")});
    parser.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace folder."), QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("screenshot"),
                      QStringLiteral("Render the main window (default model, the workspace's runs) to a PNG and exit."),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("demo"),
                      QStringLiteral("With --screenshot: first train a short real basis-training job (layers 1-5, 2 "
                                     "epochs, skip after 1, 1000 Fashion-MNIST images) so the plots show live data.")});
    parser.addOption({QStringLiteral("tab"),
                      QStringLiteral("With --screenshot: the plot tab to show (training, sensitivity, pareto, spectra, ron)."),
                      QStringLiteral("NAME")});
    parser.addPositionalArgument(QStringLiteral("weights"), QStringLiteral("Optional weights file to start from."),
                                 QStringLiteral("[weights]"));
}

int runHeadless(const QString& workspace)
{
    std::fprintf(stderr, "ranklab: no display found; running the default experiment headless "
                         "(cifar_resnet18 width 0.25 on 3000 Fashion-MNIST images, 2 epochs).\n");
    try {
        const QString runDir = ranklab::Workspace(workspace).createRunDir(QStringLiteral("train"), QStringLiteral("default"));
        ranklab::TrainCallbacks cb;
        cb.log = [](const QString& line) { std::fprintf(stderr, "%s\n", qPrintable(line)); };
        const auto summary = ranklab::runTraining(defaultExperiment(), runDir, false, cb);
        std::printf("test top-1 %.2f%% after %d epochs; run folder %s\n", 100 * summary.finalTestTop1, summary.epochsDone,
                    qPrintable(runDir));
        return 0;
    } catch (const ranklab::Error& e) {
        std::fprintf(stderr, "ranklab: error: %s\n", e.what());
        return 1;
    }
}

/// Waits (event loop running) until `done` holds or `seconds` pass; false on timeout.
template <typename Pred>
bool waitFor(Pred done, int seconds)
{
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    poll.start(50);
    QTimer::singleShot(seconds * 1000, &loop, &QEventLoop::quit);
    if (!done())
        loop.exec();
    return done();
}

/// --screenshot: the window with the default model (and the workspace's runs) rendered to `path`.
int takeScreenshot(ranklab::ui::MainWindow& window, const QString& path, bool demo, const QString& tab)
{
    if (!tab.isEmpty()) {
        int found = -1;
        for (int i = 0; i < window.tabs()->count() && found < 0; ++i)
            if (window.tabs()->tabText(i).remove(QLatin1Char('&')).startsWith(tab, Qt::CaseInsensitive))
                found = i;
        if (found < 0) {
            std::fprintf(stderr, "ranklab: error: --tab %s is not one of training, sensitivity, pareto, spectra, ron.\n", qPrintable(tab));
            return 2;
        }
        window.tabs()->setCurrentIndex(found);
    }
    if (!waitFor([&] { return window.modelReady(); }, 120)) {
        std::fprintf(stderr, "ranklab: error: the model was not built within 2 minutes.\n");
        return 1;
    }
    if (demo) {
        window.layerModel()->setCheckedLayers({1, 2, 3, 4, 5});
        ranklab::basis::BasisTrainParams p;
        p.train = window.baseTrainParams();
        p.train.data.subset = 1000;
        p.train.data.testSubset = 500;
        p.train.epochs = 2;
        p.skipEpochs = 1;
        p.layers = window.layerModel()->checkedSelectionText();
        ranklab::Job* job = window.launchBasisTraining(p);
        if (!job || !waitFor([&] { return job->state() != ranklab::Job::State::Queued && job->state() != ranklab::Job::State::Running; }, 600)) {
            std::fprintf(stderr, "ranklab: error: the demo job did not finish.\n");
            return 1;
        }
        if (job->state() != ranklab::Job::State::Finished) {
            std::fprintf(stderr, "ranklab: error: the demo job did not complete.\n");
            return 1;
        }
    }
    waitFor([] { return false; }, 1); // let queued replots and layouts settle
    if (!window.grab().save(path, "PNG")) {
        std::fprintf(stderr, "ranklab: error: cannot write the screenshot %s.\n", qPrintable(path));
        return 1;
    }
    std::printf("%s\n", qPrintable(path));
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication::setOrganizationName(QStringLiteral("RankLab"));
    QCoreApplication::setApplicationName(QStringLiteral("ranklab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RANKLAB_VERSION));
    bool headless = !hasDisplay();
    bool wantsInfo = false;
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        headless = headless || a == "--headless";
        wantsInfo = wantsInfo || a == "--version" || a == "-v" || a == "--help" || a == "-h";
    }
    if (headless || wantsInfo) {
        QCoreApplication app(argc, argv);
        QCommandLineParser parser;
        addCommonOptions(parser);
        parser.process(app); // --version / --help print and exit here
        if (parser.isSet(QStringLiteral("screenshot"))) {
            std::fprintf(stderr, "ranklab: error: --screenshot needs a display (run it under xvfb-run).\n");
            return 2;
        }
        return runHeadless(parser.isSet(QStringLiteral("workspace")) ? parser.value(QStringLiteral("workspace"))
                                                                     : ranklab::Workspace::defaultRoot());
    }
    QApplication app(argc, argv);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/ranklab/icons/ranklab.svg")));
    QCommandLineParser parser;
    addCommonOptions(parser);
    parser.process(app);
    if (parser.positionalArguments().size() > 1) {
        std::fprintf(stderr, "ranklab: error: give at most one weights file, not %lld.\n",
                     static_cast<long long>(parser.positionalArguments().size()));
        return 2;
    }
    const QString workspace = parser.isSet(QStringLiteral("workspace")) ? parser.value(QStringLiteral("workspace"))
                                                                        : ranklab::Workspace::defaultRoot();
    ranklab::ui::MainWindow window(workspace);
    window.show();
    if (!parser.positionalArguments().isEmpty())
        window.openWeights(parser.positionalArguments().first());
    if (parser.isSet(QStringLiteral("screenshot")))
        return takeScreenshot(window, parser.value(QStringLiteral("screenshot")), parser.isSet(QStringLiteral("demo")),
                              parser.value(QStringLiteral("tab")));
    return app.exec();
}
