// A guard for messages that go to whoever reads a shared inbox or a locked phone screen: transition and
// ticket notices must not hint at anyone's health. The list is deliberately broad (English and Spanish);
// matching is on whole words, ignoring case and accents, and a word's plural counts too.

const CLINICAL_TERMS: readonly string[] = [
  // English
  'diagnosis',
  'diagnoses',
  'diagnosed',
  'medication',
  'meds',
  'prescription',
  'prescribed',
  'prescriber',
  'refill',
  'rx',
  'dose',
  'dosage',
  'pharmacy',
  'pharmacist',
  'pill',
  'lab',
  'lab result',
  'test result',
  'bloodwork',
  'blood test',
  'symptom',
  'treatment',
  'therapy',
  'therapist',
  'appointment',
  'clinical',
  'illness',
  'disease',
  'infection',
  'HIV',
  'STI',
  'STD',
  'sexually transmitted',
  'sexual health',
  'pregnancy',
  'pregnant',
  'birth control',
  'contraception',
  'contraceptive',
  'mental health',
  'depression',
  'anxiety',
  'ADHD',
  'diabetes',
  'insulin',
  'cancer',
  'hepatitis',
  'weight loss',
  'vaccine',
  'allergy',
  'surgery',
  'opioid',
  // Spanish
  'diagnóstico',
  'diagnosticado',
  'medicamento',
  'receta',
  'recetado',
  'resurtido',
  'resurtir',
  'dosis',
  'farmacia',
  'pastilla',
  'laboratorio',
  'resultados de laboratorio',
  'resultados de análisis',
  'resultados de pruebas',
  'análisis de sangre',
  'síntoma',
  'tratamiento',
  'terapia',
  'cita médica',
  'enfermedad',
  'infección',
  'VIH',
  'SIDA',
  'ETS',
  'transmisión sexual',
  'salud sexual',
  'embarazo',
  'embarazada',
  'anticonceptivo',
  'salud mental',
  'depresión',
  'ansiedad',
  'cáncer',
  'insulina',
  'pérdida de peso',
  'bajar de peso',
  'vacuna',
  'alergia',
  'cirugía',
  'opioide',
];

/** Lower case, accents removed ("Diagnóstico" → "diagnostico"), so both spellings of a word match. */
function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Each word may take a plural ending; words in a phrase may be split by any run of white space.
const PATTERNS = CLINICAL_TERMS.map((term) => ({
  term,
  pattern: new RegExp(
    `(?<![\\p{L}\\p{N}])${fold(term)
      .split(/\s+/)
      .map((word) => `${escapeRegExp(word)}(?:e?s)?`)
      .join('\\s+')}(?![\\p{L}\\p{N}])`,
    'u',
  ),
}));

/** The clinical terms (as the list spells them) that occur in the text, in list order, each once. */
export function findClinicalWords(text: string): string[] {
  const folded = fold(text);
  return PATTERNS.filter(({ pattern }) => pattern.test(folded)).map(({ term }) => term);
}

/** Throws, naming the words and where they were found, when a message carries a clinical term. */
export function assertNoClinicalWords(label: string, text: string): void {
  const found = findClinicalWords(text);
  if (found.length > 0) {
    throw new Error(`${label} contains clinical words: ${found.join(', ')}`);
  }
}
