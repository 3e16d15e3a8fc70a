// ranklab: the desktop application. Without a display it runs the headless equivalent of its default
// (a short real training run on Fashion-MNIST, printed to the terminal).
#include <cstdio>

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QIcon>

#include "core/error.h"
#include "core/jobs/workspace.h"
#include "core/train/trainer.h"
#include "ranklab/version.h"
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

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication::setOrganizationName(QStringLiteral("RankLab"));
    QCoreApplication::setApplicationName(QStringLiteral("ranklab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RANKLAB_VERSION));
    bool headless = !hasDisplay();
    for (int i = 1; i < argc; ++i)
        if (QByteArray(argv[i]) == "--headless")
            headless = true;
    if (headless) {
        QCoreApplication app(argc, argv);
        QCommandLineParser parser;
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addOption({QStringLiteral("headless"), QStringLiteral("Run the default experiment in the terminal.")});
        parser.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace folder."), QStringLiteral("DIR")});
        parser.process(app);
        return runHeadless(parser.isSet(QStringLiteral("workspace")) ? parser.value(QStringLiteral("workspace"))
                                                                     : ranklab::Workspace::defaultRoot());
    }
    QApplication app(argc, argv);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/ranklab/icons/ranklab.svg")));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("RankLab: low-rank compression laboratory for CNNs"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption({QStringLiteral("headless"), QStringLiteral("Run the default experiment in the terminal.")});
    parser.addOption({QStringLiteral("workspace"), QStringLiteral("Workspace folder."), QStringLiteral("DIR")});
    parser.process(app);
    const QString workspace = parser.isSet(QStringLiteral("workspace")) ? parser.value(QStringLiteral("workspace"))
                                                                        : ranklab::Workspace::defaultRoot();
    ranklab::ui::MainWindow window(defaultExperiment(), workspace);
    window.show();
    return app.exec();
}
