import type { NoticeTemplate } from './template.js';

// Modern Standard Arabic, right to left: the HTML part carries dir="rtl" and keeps URLs left to right.
export const ar: NoticeTemplate = {
  language: 'ar',
  name: 'العربية',
  dir: 'rtl',
  subject: 'إشعار بانتهاك حقوق الطبع والنشر (DMCA) – {works} – عدد الروابط: {count}',
  salutation: 'إلى فريق حقوق الطبع والنشر المحترم،',
  intro: 'أكتب إليكم نيابةً عن {principal}، مالك الحقوق الحصرية في المصنفات المذكورة أدناه أو المخوَّل بإنفاذها. إن خدمتكم تتيح هذه المصنفات دون إذن من صاحب الحقوق.',
  worksHeading: '1. المصنفات المحمية موضوع الانتهاك',
  workFilm: '{title} (فيلم، تاريخ الإصدار {releaseDate})',
  workSeason: '{title}، الموسم {season} (مسلسل، تاريخ الإصدار {releaseDate})',
  workSeries: '{title} (مسلسل، تاريخ الإصدار {releaseDate})',
  localTitle: 'العنوان بالعربية: {titles}',
  materialHeading: '2. المواد المخالفة ومواقعها',
  materialIntro: 'الروابط التي تتيح المصنفات المذكورة أعلاه دون إذن ({count}):',
  itemPageTitle: 'عنوان الصفحة: {pageTitle}',
  itemFirstSeen: 'أول رصد: {firstSeen} ({host})',
  itemWork: 'المصنف: {title}',
  request: '3. نرجو منكم إزالة هذه المواد أو تعطيل الوصول إليها على وجه السرعة.',
  statementsHeading: '4. الإقرارات',
  goodFaith: 'أُقرّ بأنني أعتقد بحسن نية أن استخدام المواد على النحو المشكو منه غير مصرَّح به من مالك حقوق الطبع والنشر أو وكيله أو القانون.',
  accuracy: 'أُقرّ بأن المعلومات الواردة في هذا الإشعار دقيقة، وأُقرّ تحت طائلة عقوبة الحنث باليمين بأنني مخوَّل بالتصرف نيابةً عن مالك حق حصري يُدَّعى انتهاكه.',
  englishHeading: 'النص الإنجليزي للإقرارات القانونية (17 U.S.C. § 512(c)(3)(A)(v)–(vi)):',
  contactHeading: '5. بيانات الاتصال بمقدِّم الشكوى',
  labels: { name: 'الاسم', organization: 'الجهة', address: 'العنوان', phone: 'الهاتف', email: 'البريد الإلكتروني', signature: 'التوقيع', date: 'التاريخ' },
  closing: 'وتفضلوا بقبول فائق الاحترام،',
};
