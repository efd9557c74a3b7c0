export { examSession } from './session';
