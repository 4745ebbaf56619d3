import type { NoticeTemplate } from './template.js';

// Worded to read naturally in Brazil and in Portugal alike.
export const pt: NoticeTemplate = {
  language: 'pt',
  name: 'Português',
  dir: 'ltr',
  subject: 'Notificação de violação de direitos autorais (DMCA) – {works} – URLs: {count}',
  salutation: 'Prezada equipe responsável por direitos autorais,',
  intro: 'Escrevo em nome de {principal}, titular dos direitos exclusivos sobre as obras indicadas abaixo ou autorizado a exercê-los. O seu serviço disponibiliza essas obras sem autorização do titular.',
  worksHeading: '1. Obras protegidas violadas',
  workFilm: '{title} (filme, lançado em {releaseDate})',
  workSeason: '{title}, temporada {season} (série, lançada em {releaseDate})',
  workSeries: '{title} (série, lançada em {releaseDate})',
  localTitle: 'título em português: {titles}',
  materialHeading: '2. Material infrator e sua localização',
  materialIntro: 'URLs que disponibilizam as obras acima sem autorização ({count}):',
  itemPageTitle: 'título da página: {pageTitle}',
  itemFirstSeen: 'identificado pela primeira vez: {firstSeen} ({host})',
  itemWork: 'obra: {title}',
  request: '3. Solicito que removam esse material ou bloqueiem o acesso a ele com a maior brevidade possível.',
  statementsHeading: '4. Declarações',
  goodFaith: 'Declaro acreditar de boa-fé que o uso do material da forma aqui denunciada não está autorizado pelo titular dos direitos autorais, por seu representante ou pela lei.',
  accuracy: 'Declaro que as informações desta notificação são exatas e, sob pena de perjúrio, que estou autorizado a agir em nome do titular de um direito exclusivo supostamente violado.',
  englishHeading: 'Texto legal das declarações em inglês (17 U.S.C. § 512(c)(3)(A)(v)–(vi)):',
  contactHeading: '5. Dados de contato do notificante',
  labels: { name: 'Nome', organization: 'Organização', address: 'Endereço', phone: 'Telefone', email: 'E-mail', signature: 'Assinatura', date: 'Data' },
  closing: 'Atenciosamente,',
};
