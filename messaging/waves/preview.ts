// What staff see before they approve a wave: each template as the patient will get it (email and
// text, both languages, before and after cutover). The portal reaches templates through here, since
// only messaging speaks to emails/ (DESIGN §2).
export { renderTransitionEmail, transitionSubject } from '../../emails/transition.tsx';
export { transitionSmsPreview } from '../../emails/transition-sms.ts';
