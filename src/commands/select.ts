/** `ipa-kit generate` (candidates of the base model) and `ipa-kit select` (judgments, positives, Cases 1-4). */
import { initBackend } from '../gpu/backend';
import { Command, parseArgs, str } from '../core/args';
import { UsageError } from '../core/errors';
import { STUDY_OPTIONS, STUDY_OPTIONS_HELP, studyFromArgs, workersFromArgs } from '../study/study';
import { baseStage, candidatesStage, detectorStage, premiseStage, selectionStage, workPath } from '../study/pipeline';
import { readOverrideFile } from '../select/override';

export const generateCommand: Command = {
  summary: 'generate the base model\'s candidates for every train input (4 each in the paper profile)',
  help: [
    'usage: ipa-kit generate [--profile P] [--world-seed N] [--workers N] [--backend B]',
    '',
    'Writes data/runs/<profile>-<seed>/candidates/ (generations.json + frames.u8); reuses matching candidates.',
    '',
    ...STUDY_OPTIONS_HELP,
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, [...STUDY_OPTIONS]);
    if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
    const study = studyFromArgs(args);
    const workers = workersFromArgs(args, study);
    await initBackend({ backend: str(args, 'backend') });
    const base = await baseStage(study);
    const gens = await candidatesStage(study, base, { workers });
    process.stdout.write(`${gens.manifest.count} candidates (${study.profile.selection.candidatesPerInput} per train input) in ${workPath(study, 'candidates')} (${gens.manifest.seconds.toFixed(0)} s to generate)\n`);
    return 0;
  },
};

export const selectCommand: Command = {
  summary: 'judge every candidate frame, select the implicit positives, analyse Cases 1-4 and the premise',
  help: [
    'usage: ipa-kit select [--profile P] [--world-seed N] [--override FILE] [--backend B]',
    '',
    '  --override FILE  ids to add (`+id` or a bare id) or remove (`-id`), one per line (# comments), or JSON',
    '                   {"include": [...], "exclude": [...]}: a person\'s corrections of the automatic judge',
    '',
    'Writes data/runs/<profile>-<seed>/selection/{evidence.json,judgments.json,positives.json} and the premise',
    'table (within-input share of hand-score variance, good-and-bad inputs, strict pairs, acceptance, targets)',
    'to <results>/tables/premise.{csv,md}.',
    '',
    ...STUDY_OPTIONS_HELP,
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, [...STUDY_OPTIONS, 'override']);
    const study = studyFromArgs(args);
    const workers = workersFromArgs(args, study);
    const overrideFile = str(args, 'override');
    const override = overrideFile ? readOverrideFile(overrideFile) : null;
    await initBackend({ backend: str(args, 'backend') });
    const base = await baseStage(study);
    const gens = await candidatesStage(study, base, { workers });
    const det = await detectorStage(study);
    const p = selectionStage(study, gens, det, { override });
    const premise = premiseStage(study, p);
    const within = premise.report.handScore?.withinShare;
    const c = p.cases;
    process.stdout.write(
      [
        `good candidates: ${p.goodCount} of ${p.candidatesCount} (${(100 * p.acceptanceRate).toFixed(1)}%); positives: ${p.positives.length} (cap ${p.maxPositives})`,
        `Case 1 (both good) ${c.counts.case1}, Case 2 (both bad) ${c.counts.case2}, Case 3 (mixed) ${c.counts.case3}, Case 4 (strict pair) ${c.counts.case4} of ${c.judgedPairs} judged pairs`,
        `positives in a strict pair: ${c.positivesInStrictPairs} of ${c.positives}${c.pairableShare === null ? '' : ` (${(100 * c.pairableShare).toFixed(1)}%)`}`,
        `within-input share of hand-score variance: ${within === null || within === undefined ? 'n/a' : `${(100 * within).toFixed(1)}%`}; inputs with a good and a bad candidate: ${premise.report.inputsWithGoodAndBad} of ${premise.report.inputsJudged} (-> ${premise.files.md})`,
        `-> ${workPath(study, 'selection', 'positives.json')}`,
      ].join('\n') + '\n',
    );
    return 0;
  },
};
