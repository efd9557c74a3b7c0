export { recruitmentRound } from './round';
export { candidate } from './candidate/index';
export { career } from './career';
export { examSession } from './exam';
