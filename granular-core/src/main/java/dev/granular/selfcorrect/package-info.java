/**
 * Intrinsic Self-Correction (ISC) data with Partial Answer Masking.
 *
 * <p>Vocabulary: a {@link dev.granular.selfcorrect.internal.SelfCorrectTask} is a question with ground truth
 * ({@link dev.granular.selfcorrect.internal.TaskReader} reads the common QA shapes); the <em>student</em> (the
 * model to fine-tune) answers it several times; a judge ({@link dev.granular.judge.Judge}) marks each
 * answer right or wrong; a {@link dev.granular.selfcorrect.internal.Candidate} is a judged answer;
 * {@link dev.granular.selfcorrect.internal.Balancer} picks good and bad cases before any teacher call is
 * paid; the <em>teacher</em> confirms good answers and corrects bad ones (a
 * {@link dev.granular.selfcorrect.internal.Revision}); {@link dev.granular.selfcorrect.internal.SelfCorrectionFormat}
 * lays out one assistant message, answer → self-check → verdict → correction, with the wrong answer
 * masked. Pure parts: reader, format, phrases, balancer. Side effects only in
 * {@link dev.granular.selfcorrect.SelfCorrectJob} and its steps. See docs/self-correction.md.
 */
package dev.granular.selfcorrect;
